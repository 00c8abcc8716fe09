// The supervisor's state writer: what a finished run leaves in the store,
// what load() gives back, and the history kept per job.
#include "state/state_writer.h"
#include "state/state_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "state/history_view.h"
#include "state/state_keys.h"
#include "ipc/framing.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

FinishedRun runOf(const std::string& jobId, int64_t startedUnixMs, ipc::Outcome outcome, const std::string& message) {
  FinishedRun run;
  run.jobId = jobId;
  run.jobName = "name of " + jobId;
  run.jobType = "tcp";
  run.record.policy.health = outcome == ipc::Outcome::OK ? JobHealth::ok : JobHealth::failing;
  run.record.runs = 7;
  run.record.overruns = 2;
  run.startedUnixMs = startedUnixMs;
  run.durationMs = 42;
  run.outcome = outcome;
  run.message = message;
  return run;
}

std::vector<std::string> historyKeys(const StateStore& store, const std::string& jobId) {
  std::vector<std::string> keys;
  ReadTransaction txn = store.beginRead();
  txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(jobId),
                        [&](std::string_view key, std::string_view) {
                          keys.emplace_back(key);
                          return true;
                        });
  return keys;
}

TEST(StateWriter, TheJobStateHoldsTheRecordAndTheLastRunsFacts) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.add(runOf("tcp:h:1", 1000, ipc::Outcome::OK, ""));
  writer.add(runOf("tcp:h:1", 2000, ipc::Outcome::FAILED, "connection refused"));
  writer.flush(3000);
  ReadTransaction txn = store.beginRead();
  std::optional<std::string_view> value = txn.get(StateDb::jobs, "tcp:h:1");
  ASSERT_TRUE(value.has_value());
  auto decoded = ipc::decode(*value);
  auto state = decoded->root<ipc::JobState>();
  EXPECT_EQ(std::string(state.getName().cStr()), "name of tcp:h:1");
  EXPECT_EQ(state.getHealth(), ipc::Health::FAILING);
  EXPECT_EQ(state.getRuns(), 7u);
  EXPECT_EQ(state.getOverruns(), 2u);
  EXPECT_EQ(state.getLastRunUnixMs(), 2000);
  EXPECT_EQ(state.getLastOutcome(), ipc::Outcome::FAILED);
  EXPECT_EQ(std::string(state.getLastMessage().cStr()), "connection refused");
  EXPECT_EQ(state.getLastDurationMs(), 42u);

  StateWriter restarted(store);
  std::unordered_map<std::string, JobRecord> records = restarted.load();
  ASSERT_EQ(records.count("tcp:h:1"), 1u);
  EXPECT_EQ(records["tcp:h:1"].policy.health, JobHealth::failing);
  EXPECT_EQ(records["tcp:h:1"].runs, 7u);
  EXPECT_EQ(records["tcp:h:1"].overruns, 2u);
}

// Holds survive a restart (issue 19): a job held in the middle of a
// maintenance window, or flapping, is still so when checkerd comes back;
// a hold changed between runs rewrites only the record's own fields.
TEST(StateWriter, ANoticeHoldAndFlappingSurviveARestartAndAnAmend) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  FinishedRun run = runOf("tcp:h:1", 1000, ipc::Outcome::FAILED, "connection refused");
  run.record.gate.hold = NoticeHold::quiet;
  run.record.gate.holdReason = "maintenance nightly until 03:00 UTC";
  run.record.gate.holdSinceUnixMs = 900;
  run.record.gate.recent = RecentRuns{0b10101, 5};
  run.record.gate.flapping = true;
  run.record.gate.flapNoticeSent = true;
  run.note = "failure notice not sent: maintenance nightly until 03:00 UTC";
  writer.add(run);
  writer.flush(2000);
  std::unordered_map<std::string, JobRecord> records = StateWriter(store).load();
  EXPECT_EQ(records["tcp:h:1"].gate, run.record.gate);
  EXPECT_EQ(records["tcp:h:1"].lastStartedUnixMs, 1000);

  // Released between runs: the hold goes, the last run's facts stay.
  JobRecord released = records["tcp:h:1"];
  released.gate.hold = NoticeHold::none;
  released.gate.holdReason.clear();
  released.policy.notifiedFailure = true;
  writer.amendRecord("tcp:h:1", released);
  writer.amendRecord("tcp:never-ran", released);  // no stored state: skipped, not invented
  writer.flush(3000);
  records = StateWriter(store).load();
  EXPECT_EQ(records["tcp:h:1"].gate.hold, NoticeHold::none);
  EXPECT_TRUE(records["tcp:h:1"].policy.notifiedFailure);
  EXPECT_TRUE(records["tcp:h:1"].gate.flapping);
  EXPECT_EQ(records["tcp:h:1"].lastMessage, "connection refused");
  EXPECT_EQ(records.count("tcp:never-ran"), 0u);
  ReadTransaction txn = store.beginRead();
  std::vector<HistoryRun> runs = readRuns(txn, "tcp:h:1", 0, 10'000);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].note, run.note);
}

TEST(StateWriter, AnAmendBeforeARunOfTheSameFlushIsReplacedByTheRun) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.add(runOf("tcp:h:1", 1000, ipc::Outcome::FAILED, "x"));
  writer.flush(1500);
  JobRecord stale;
  stale.gate.hold = NoticeHold::blocked;
  writer.amendRecord("tcp:h:1", stale);
  FinishedRun newer = runOf("tcp:h:1", 2000, ipc::Outcome::FAILED, "y");
  writer.add(newer);  // the run's record is the newer
  writer.flush(2500);
  EXPECT_EQ(StateWriter(store).load()["tcp:h:1"].gate.hold, NoticeHold::none);
}

TEST(StateWriter, KeepsTheNewestRunsOfEachJobAcrossBatchesAndRestarts) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  constexpr uint32_t kKept = 50;
  const HistoryRetention retention{kKept, 7, 90};  // runs start in 1970: no age limit from a flush at ms 1..57
  constexpr int64_t kRuns = kKept + 7;
  {
    StateWriter writer(store);
    writer.setRetention(retention);
    for (int64_t start = 1; start <= kRuns - 3; ++start) {
      writer.add(runOf("tcp:h:1", start, ipc::Outcome::OK, ""));
      if (start % 10 == 0) writer.flush(start);
    }
    writer.add(runOf("tcp:h:2", 5, ipc::Outcome::OK, ""));
    writer.flush(kRuns);
  }
  StateWriter restarted(store);  // counts nothing at start: the store does
  restarted.setRetention(retention);
  restarted.load();
  for (int64_t start = kRuns - 2; start <= kRuns; ++start) restarted.add(runOf("tcp:h:1", start, ipc::Outcome::OK, ""));
  restarted.add(runOf("tcp:h:1", kRuns, ipc::Outcome::FAILED, "the same start again"));  // replaces, adds nothing
  restarted.flush(kRuns + 1);
  std::vector<std::string> keys = historyKeys(store, "tcp:h:1");
  ASSERT_EQ(keys.size(), kKept);
  const int64_t oldestKept = kRuns - static_cast<int64_t>(kKept) + 1;
  EXPECT_EQ(keys.front(), state_keys::historyKey("tcp:h:1", oldestKept));
  EXPECT_EQ(keys.back(), state_keys::historyKey("tcp:h:1", kRuns));
  EXPECT_THAT(historyKeys(store, "tcp:h:2"), ::testing::ElementsAre(state_keys::historyKey("tcp:h:2", 5)));
}

// A state written before text was cleaned at the boundary (or by hand) is
// cleaned again where it is read: a stored escape sequence must not repaint
// the operator's terminal in `checker status`, nor break the page's JSON.
// The jobs checkerd runs (meta "job_list"), for `checker status`: written
// with the next flush, replaced by the next list, read back in order.
TEST(StateWriter, TheJobListIsWrittenWithTheNextFlushAndReadBack) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  {
    Result<std::optional<std::vector<ListedJob>>> none = readJobList(store.beginRead());
    ASSERT_TRUE(none.ok()) << none.error();
    EXPECT_FALSE(none->has_value()) << "no list before checkerd wrote one";
  }
  StateWriter writer(store);
  writer.setJobList({{"plugin:SpawningCheck:a", "many[a]", "SpawningCheck", "many", "30s", false},
                     {"system:email", "email self-check", "email_selfcheck", "", "hour", true}});
  EXPECT_TRUE(writer.hasWork());
  writer.flush(1000);
  ListedJob listed{"exec:/bin/true", "t", "exec", "t", "minute", false};
  listed.timeoutMs = 2500;
  listed.notify = "hour, after 2 failures; recovery notice; ok again after 1 run";
  listed.isolation = "run";
  writer.setJobList({listed});
  writer.flush(2000);
  Result<std::optional<std::vector<ListedJob>>> read = readJobList(store.beginRead());
  ASSERT_TRUE(read.ok()) << read.error();
  ASSERT_TRUE(read->has_value());
  ASSERT_EQ((*read)->size(), 1u) << "the list is replaced, never merged";
  const ListedJob& job = (**read)[0];
  EXPECT_EQ(job.id, "exec:/bin/true");
  EXPECT_EQ(job.name, "t");
  EXPECT_EQ(job.type, "exec");
  EXPECT_EQ(job.section, "t");
  EXPECT_EQ(job.schedule, "minute");
  EXPECT_FALSE(job.system);
  EXPECT_EQ(job.timeoutMs, 2500);
  EXPECT_EQ(job.notify, listed.notify);
  EXPECT_EQ(job.isolation, "run");
  writer.beat();
  writer.flush(3000);
  EXPECT_EQ((*readJobList(store.beginRead()))->size(), 1u) << "a flush without a new list keeps the last";
  {
    WriteTransaction txn = store.beginWrite();
    txn.put(StateDb::meta, state_keys::kJobList, "not a message");
    txn.commit();
  }
  Result<std::optional<std::vector<ListedJob>>> broken = readJobList(store.beginRead());
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.error(), ::testing::StartsWith("meta job_list: unreadable job list: "));
}

TEST(StateView, TextFromTheStateIsCleanedWhereItIsRead) {
  FinishedRun run = runOf("exec:/bin/x", 1000, ipc::Outcome::FAILED, "red \x1b[31mX\xff\nnext");
  run.jobName = "na\x07me";
  JobStatus job = decodeJobStatus(run.jobId, encodeState(run));
  EXPECT_EQ(job.message, "red \\x1b[31mX\xef\xbf\xbd\\x0anext");
  EXPECT_EQ(job.name, "na\\x07me");
}

}  // namespace
}  // namespace checker
