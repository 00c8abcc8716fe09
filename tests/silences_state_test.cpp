// Silences in the LMDB state (state/silences.h): added, listed while
// active, removed; ids never given twice, even after a removal and a
// reopen; what was committed is there after a reopen.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "state/silences.h"
#include "state/state_store.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;
constexpr int64_t kHour = 3'600'000;

Silence silence(ipc::SilenceKind kind, std::string value, int64_t endsUnixMs, std::string reason = "works") {
  Silence s;
  s.kind = kind;
  s.value = std::move(value);
  s.reason = std::move(reason);
  s.createdUnixMs = kNow;
  s.endsUnixMs = endsUnixMs;
  return s;
}

uint64_t add(StateStore& store, Silence s) {
  WriteTransaction txn = store.beginWrite();
  uint64_t id = addSilence(txn, std::move(s)).id;
  txn.commit();
  return id;
}

std::vector<uint64_t> ids(const std::vector<Silence>& silences) {
  std::vector<uint64_t> out;
  for (const Silence& s : silences) out.push_back(s.id);
  return out;
}

TEST(SilencesState, AddListRemove) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  uint64_t web = add(store, silence(ipc::SilenceKind::JOB, "web*", kNow + kHour, "deploy"));
  uint64_t db = add(store, silence(ipc::SilenceKind::TAG, "db", kNow + 2 * kHour));
  uint64_t all = add(store, silence(ipc::SilenceKind::ALL, "", kNow + 3 * kHour));
  EXPECT_EQ(web, 1u);
  EXPECT_EQ(db, 2u);
  EXPECT_EQ(all, 3u);
  std::vector<Silence> listed = readSilences(store.beginRead(), kNow);
  ASSERT_EQ(ids(listed), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(listed[0].value, "web*");
  EXPECT_EQ(listed[0].reason, "deploy");
  EXPECT_EQ(listed[0].endsUnixMs, kNow + kHour);
  EXPECT_EQ(listed[0].createdUnixMs, kNow);
  EXPECT_EQ(listed[1].kind, ipc::SilenceKind::TAG);
  EXPECT_EQ(describeSelector(listed[1]), "tag db");
  EXPECT_EQ(describeSelector(listed[2]), "all jobs");
  EXPECT_EQ(selectorOf(listed[1]), (JobSelector{false, {}, {"db"}}));
  {
    WriteTransaction txn = store.beginWrite();
    EXPECT_TRUE(removeSilence(txn, db));
    EXPECT_FALSE(removeSilence(txn, db));
    EXPECT_FALSE(removeSilence(txn, 99));
    txn.commit();
  }
  EXPECT_EQ(ids(readSilences(store.beginRead(), kNow)), (std::vector<uint64_t>{1, 3}));
}

TEST(SilencesState, ExpiredOnesAreNotListedAndArePurged) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  add(store, silence(ipc::SilenceKind::JOB, "a", kNow + kHour));
  add(store, silence(ipc::SilenceKind::JOB, "b", kNow + 2 * kHour));
  EXPECT_EQ(ids(readSilences(store.beginRead(), kNow + kHour - 1)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ids(readSilences(store.beginRead(), kNow + kHour)), (std::vector<uint64_t>{2})) << "its end is out";
  WriteTransaction txn = store.beginWrite();
  EXPECT_EQ(purgeExpiredSilences(txn, kNow + kHour), 1u);
  EXPECT_EQ(purgeExpiredSilences(txn, kNow + kHour), 0u);
  txn.commit();
  EXPECT_EQ(ids(readSilences(store.beginRead(), 0)), (std::vector<uint64_t>{2})) << "gone, not only hidden";
}

TEST(SilencesState, IdsAreNotReusedAfterRemovalPurgeAndReopen) {
  test::TempDir dir;
  {
    StateStore store = StateStore::openForWriting(dir.file("state"));
    add(store, silence(ipc::SilenceKind::JOB, "a", kNow + kHour));
    uint64_t second = add(store, silence(ipc::SilenceKind::JOB, "b", kNow + kHour));
    WriteTransaction txn = store.beginWrite();
    removeSilence(txn, second);  // the highest id gone: its number must not come back
    purgeExpiredSilences(txn, kNow + 2 * kHour);  // and every other row
    txn.commit();
    EXPECT_TRUE(readSilences(store.beginRead(), 0).empty());
  }
  StateStore store = StateStore::openForWriting(dir.file("state"));
  EXPECT_EQ(add(store, silence(ipc::SilenceKind::JOB, "c", kNow + kHour)), 3u);
}

TEST(SilencesState, SurviveAReopenAndAreReadableReadOnly) {
  test::TempDir dir;
  {
    StateStore store = StateStore::openForWriting(dir.file("state"));
    Silence s = silence(ipc::SilenceKind::JOB, "web", kNow + kHour, "line one\nline two\x1b[31m");
    s.uid = 1000;
    add(store, s);
  }
  StateStore reader = StateStore::openReadOnly(dir.file("state"));
  std::vector<Silence> listed = readSilences(reader.beginRead(), kNow);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].uid, 1000);
  EXPECT_EQ(listed[0].reason, "line one\\x0aline two\\x1b[31m") << "cleaned as job messages are";
}

TEST(SilencesState, AReasonIsCutToItsCap) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  add(store, silence(ipc::SilenceKind::JOB, "web", kNow + kHour, std::string(2000, 'x')));
  EXPECT_EQ(readSilences(store.beginRead(), kNow).at(0).reason.size(), kMaxSilenceReasonBytes);
}

}  // namespace
}  // namespace checker
