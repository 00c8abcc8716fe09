// Each channel's health in the state (state/channel_health.h): the rows
// checkerd writes for the channels it runs, the last success recorded in
// the transaction that deletes the delivered entry, a removed channel's row
// deleted, the counts read back from the outbox; the `channels` database
// absent from a store a checkerd that predates it left; and a test notice
// left in the outbox by a checkerd that stopped, deleted at the next start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <uv.h>

#include "state/channel_health.h"
#include "state/state_keys.h"
#include "state/state_view.h"
#include "state/state_writer.h"
#include "supervisor/channel_tester.h"
#include "supervisor/outbox_delivery.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

constexpr int64_t kT = 1'800'000'000'000;

Config configWith(std::vector<ChannelSettings> channels) {
  Config config;
  config.channels = std::move(channels);
  return config;
}

ChannelSettings channel(const std::string& name, ChannelType type) {
  ChannelSettings c;
  c.name = name;
  c.type = type;
  c.url = "http://127.0.0.1:1/secret-path";
  return c;
}

OutboxMail noticeFor(const std::string& channelName, ipc::MailKind kind = ipc::MailKind::ALERT) {
  OutboxMail notice;
  notice.kind = kind;
  notice.to = {"webhook " + channelName};
  notice.subject = "db failing";
  notice.channel = channelName;
  notice.facts = ChannelNoticeFacts{};
  notice.facts->state = "failing";
  return notice;
}

// The entries the writer hands out after a flush, by id.
OutboxStatus only(std::vector<OutboxStatus> statuses) {
  EXPECT_EQ(statuses.size(), 1u);
  return statuses.empty() ? OutboxStatus{} : statuses.front();
}

std::vector<ChannelRow> rowsOf(const StateStore& store, const Config& config) {
  ReadTransaction txn = store.beginRead();
  return readChannels(config, &txn, readOutbox(txn).entries);
}

TEST(ChannelHealthState, ALastSuccessIsRecordedWithTheDeletionOfTheDeliveredEntry) {
  test::TempDir dir;
  Config config = configWith({channel("hooks", ChannelType::webhook), channel("chat", ChannelType::slack)});
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.setChannels(configuredChannels(config));
  writer.queueNotice("tcp:db", noticeFor("hooks"));
  writer.queueNotice("tcp:db", noticeFor("chat"));
  writer.flush(kT);
  std::vector<OutboxStatus> queued = writer.takeNewOutbox();
  ASSERT_EQ(queued.size(), 2u);

  std::vector<ChannelRow> rows = rowsOf(store, config);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].name, "email");
  EXPECT_EQ(rows[1].name, "hooks");
  EXPECT_EQ(rows[1].type, "webhook");
  EXPECT_EQ(rows[1].pending, 1u);
  EXPECT_EQ(rows[1].oldestPendingUnixMs, kT);
  EXPECT_EQ(rows[2].name, "chat");

  writer.outboxDelivered(queued[0], "webhook hooks: HTTP 200 from h", kT + 5);
  OutboxStatus failed = queued[1];
  failed.attempts = 1;
  writer.outboxAttemptFailed(failed, "slack chat: HTTP 503 from h", kT + 6);
  writer.flush(kT + 10);
  {
    ReadTransaction txn = store.beginRead();
    EXPECT_FALSE(txn.get(StateDb::outbox, state_keys::outboxKey(queued[0].id)).has_value());
    EXPECT_TRUE(txn.get(StateDb::outbox, state_keys::outboxKey(queued[1].id)).has_value());
  }
  rows = rowsOf(store, config);
  EXPECT_EQ(rows[1].lastSuccessUnixMs, kT + 5);
  EXPECT_EQ(rows[1].lastSuccessReply, "webhook hooks: HTTP 200 from h");
  EXPECT_EQ(rows[1].pending, 0u);
  EXPECT_EQ(rows[2].lastSuccessUnixMs, 0);
  EXPECT_EQ(rows[2].lastErrorUnixMs, kT + 6);
  EXPECT_EQ(rows[2].lastError, "slack chat: HTTP 503 from h");
  EXPECT_EQ(rows[2].pending, 1u);
}

TEST(ChannelHealthState, ARemovedChannelsRowIsDeletedAndNotRecreated) {
  test::TempDir dir;
  Config before = configWith({channel("hooks", ChannelType::webhook), channel("old", ChannelType::ntfy)});
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.setChannels(configuredChannels(before));
  writer.queueNotice("tcp:db", noticeFor("old"));
  writer.flush(kT);
  OutboxStatus queued = only(writer.takeNewOutbox());

  Config after = configWith({channel("hooks", ChannelType::webhook)});  // a reload dropped "old"
  writer.setChannels(configuredChannels(after));
  writer.flush(kT + 1);
  queued.permanentFailure = true;  // the mailer no longer knows it
  writer.outboxAttemptFailed(queued, "not sent: channel 'old' is not in the config (any more)", kT + 2);
  writer.flush(kT + 3);
  ReadTransaction txn = store.beginRead();
  EXPECT_FALSE(txn.get(StateDb::channels, "old").has_value());
  EXPECT_EQ(txn.count(StateDb::channels), 2u);  // email, hooks
  std::vector<ChannelRow> rows = readChannels(after, &txn, readOutbox(txn).entries);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].name, "hooks");
  EXPECT_EQ(readOutbox(txn).refused.size(), 1u) << "the entry itself stays visible in the outbox";
}

TEST(ChannelHealthState, ATestNoticeIsDeletedWhateverItsAnswerAndOnlyRecordedWhenAnswered) {
  test::TempDir dir;
  Config config = configWith({channel("hooks", ChannelType::webhook)});
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.setChannels(configuredChannels(config));
  writer.queueNotice("test-channel", noticeFor("hooks", ipc::MailKind::TEST));
  writer.queueNotice("test-channel", noticeFor("hooks", ipc::MailKind::TEST));
  writer.flush(kT);
  std::vector<OutboxStatus> queued = writer.takeNewOutbox();
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_TRUE(queued[0].test);
  EXPECT_FALSE(queued[0].mail);
  writer.outboxTestAnswered(queued[0], false, "webhook hooks: HTTP 500 from h", kT + 1);
  writer.outboxRemoved(queued[1].id);
  writer.flush(kT + 2);
  ReadTransaction txn = store.beginRead();
  EXPECT_EQ(txn.count(StateDb::outbox), 0u);
  std::vector<ChannelRow> rows = readChannels(config, &txn, readOutbox(txn).entries);
  EXPECT_EQ(rows[1].lastErrorUnixMs, kT + 1);
  EXPECT_EQ(rows[1].lastError, "webhook hooks: HTTP 500 from h");
}

TEST(ChannelHealthState, ATestNoticeLeftFromBeforeIsDeletedAtStartUnsent) {
  test::TempDir dir;
  Config config = configWith({channel("hooks", ChannelType::webhook)});
  StateStore store = StateStore::openForWriting(dir.file("state"));
  {
    StateWriter before(store);
    before.queueNotice("test-channel", noticeFor("hooks", ipc::MailKind::TEST));
    before.queueNotice("tcp:db", noticeFor("hooks"));
    before.flush(kT);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  StateWriter writer(store);
  writer.load();
  {
    OutboxDelivery outbox(&loop, writer, [] {});
    outbox.start();  // no mailer: nothing is sent
    EXPECT_EQ(outbox.pending(), 1u) << "the job's notice stays to be delivered";
    outbox.stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  writer.flush(kT + 1);
  ReadTransaction txn = store.beginRead();
  EXPECT_EQ(txn.count(StateDb::outbox), 1u);
  EXPECT_FALSE(txn.get(StateDb::outbox, state_keys::outboxKey(1)).has_value()) << "the test notice is gone";
}

// `checker test-channel` when no result comes (here: no mailer takes the
// entry) within the channel's timeout plus the margin: answered, and the
// test notice deleted unsent. A name checkerd does not run is refused.
TEST(ChannelTester, ATestWithoutAnAnswerByItsDeadlineIsDeletedUnsent) {
  test::TempDir dir;
  Config config = configWith({channel("hooks", ChannelType::webhook)});
  config.channels[0].timeout = Milliseconds{0};
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.load();
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::optional<ChannelTester::Answer> answer, unknown;
  {
    OutboxDelivery outbox(&loop, writer, [] {});
    outbox.start();
    ChannelTester tester(&loop, config, writer, &outbox, [] {}, /*marginMs=*/20);
    tester.test("nope", [&](const ChannelTester::Answer& a) { unknown = a; });
    tester.test("hooks", [&](const ChannelTester::Answer& a) { answer = a; });
    writer.flush(kT);  // what the supervisor's flush does
    outbox.takeNew();
    EXPECT_EQ(outbox.pending(), 1u);
    uv_run(&loop, UV_RUN_DEFAULT);  // until the deadline's timer is closed
    EXPECT_EQ(outbox.pending(), 0u);
    outbox.stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->accepted);
  EXPECT_THAT(unknown->message, ::testing::HasSubstr("checkerd runs no channel 'nope'"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(answer->accepted);
  EXPECT_THAT(answer->message, ::testing::StartsWith("no answer within "));
  EXPECT_EQ(store.beginRead().count(StateDb::outbox), 1u) << "until the next flush";
  writer.flush(kT + 1);
  EXPECT_EQ(store.beginRead().count(StateDb::outbox), 0u) << "deleted, never to be sent";
}

// A store as a checkerd before the `channels` database left it: the
// database dropped, the schema version still 2 (nothing was bumped).
void dropChannels(const std::string& dir) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 16);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0640), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi = 0;
  ASSERT_EQ(mdb_dbi_open(txn, "channels", 0, &dbi), 0);
  ASSERT_EQ(mdb_drop(txn, dbi, 1), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(ChannelHealthState, AStoreWithoutTheDatabaseIsReadAsEmptyAndGetsItWhenWritten) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  Config config = configWith({channel("hooks", ChannelType::webhook)});
  { StateStore::openForWriting(path); }
  dropChannels(path);
  {
    StateStore reader = StateStore::openReadOnly(path);  // the CLI before checkerd restarted
    EXPECT_EQ(reader.schemaVersion(), 2u);
    ReadTransaction txn = reader.beginRead();
    std::vector<ChannelRow> rows = readChannels(config, &txn, {});
    ASSERT_EQ(rows.size(), 2u) << "the config's channels, nothing known of them";
    EXPECT_EQ(rows[1].name, "hooks");
    EXPECT_EQ(rows[1].lastSuccessUnixMs, 0);
  }
  StateStore store = StateStore::openForWriting(path);
  EXPECT_EQ(store.schemaVersion(), 2u);
  StateWriter writer(store);
  writer.setChannels(configuredChannels(config));
  writer.flush(kT);
  EXPECT_EQ(store.beginRead().count(StateDb::channels), 2u);
}

}  // namespace
}  // namespace checker
