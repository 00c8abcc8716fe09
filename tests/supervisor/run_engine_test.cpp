// The run engine in-process: a fake clock, a fake launcher (no processes)
// and a recorder that keeps what would go to the alerting path. Overrun,
// the queue beyond the concurrency cap, a job retired by a reload while it
// runs, and the launcher dying mid-run.
#include "supervisor/run_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace checker {
namespace {

class FakeClock final : public Clock {
 public:
  int64_t wallMs() override { return wall; }
  uint64_t monoMs() override { return mono; }
  void advance(int64_t ms) {
    wall += ms;
    mono += static_cast<uint64_t>(ms);
  }
  int64_t wall = 1'800'000'000'000;  // a round minute
  uint64_t mono = 5'000'000;
};

class FakeLauncher final : public RunLauncher {
 public:
  struct Launched {
    std::string jobId;
    uint64_t runId;
    Done done;
  };
  bool ready() const override { return up; }
  Result<> launch(const JobDefinition& job, uint64_t runId, int64_t, Done done) override {
    if (!up) return Error{"no launcher"};
    launched.push_back({job.id(), runId, std::move(done)});
    live[runId] = launched.size() - 1;
    return {};
  }
  void kill(uint64_t runId) override { killed.push_back(runId); }

  // Run RUN_ID's worker exits 0 with no reply (or the launcher died under it).
  void finish(uint64_t runId, bool launcherLost = false) {
    auto found = live.find(runId);
    ASSERT_NE(found, live.end()) << "run " << runId << " is not running";
    Done done = std::move(launched[found->second].done);
    live.erase(found);
    WorkerRunReport report;
    report.launcherLost = launcherLost;
    report.durationMs = 5;
    done(std::move(report));
  }
  // The launcher dies: every run in progress hears it lost.
  void die() {
    up = false;
    std::vector<uint64_t> runs;
    for (const auto& [runId, index] : live) runs.push_back(runId);
    for (uint64_t runId : runs) finish(runId, true);
  }
  std::vector<std::string> jobsLaunched() const {
    std::vector<std::string> ids;
    for (const Launched& l : launched) ids.push_back(l.jobId);
    return ids;
  }
  uint64_t runOf(const std::string& jobId) const {
    for (const auto& [runId, index] : live) {
      if (launched[index].jobId == jobId) return runId;
    }
    return 0;
  }

  bool up = true;
  std::vector<Launched> launched;
  std::map<uint64_t, size_t> live;  // run id -> index in launched
  std::vector<uint64_t> killed;
};

class FakeRecorder final : public RunRecorder {
 public:
  void record(const JobDefinition& job, JobRecord& record, const RunResult& result) override {
    ++record.runs;
    record.lastStartedUnixMs = result.startedUnixMs;
    recorded.push_back(job.id());
    overrunsAtRecord.push_back(record.overruns);
  }
  std::vector<std::string> recorded;
  std::vector<uint64_t> overrunsAtRecord;
};

JobDefinition everyMinuteJob(const std::string& name) {
  auto settings = std::make_shared<JobSectionSettings>();
  settings->type = "exec";
  settings->section = name;
  settings->name = name;
  settings->schedule = Schedule{Schedule::Kind::interval, Milliseconds(60'000)};
  return JobDefinition("exec:" + name, settings);
}

class RunEngineTest : public ::testing::Test {
 protected:
  void build(uint32_t maxConcurrentRuns, const std::vector<std::string>& names) {
    RunEngine::Hooks hooks;
    hooks.onRunStarted = [this](size_t, int64_t dueMs, int64_t) { dueOfStarted.push_back(dueMs); };
    engine = std::make_unique<RunEngine>(clock, launcher, recorder, maxConcurrentRuns, hooks);
    std::vector<JobDefinition> jobs;
    for (const std::string& name : names) jobs.push_back(everyMinuteJob(name));
    engine->addJobs(std::move(jobs));
    engine->chooseRunners([this](const JobDefinition&) { return &engine->workerRunner(); });
    sleep = engine->schedule();
  }
  // Advances the clock by MS, ticking whenever the engine asked to be woken.
  void runFor(int64_t ms) {
    int64_t until = clock.wall + ms;
    while (clock.wall < until) {
      int64_t step = sleep ? std::max<int64_t>(1, static_cast<int64_t>(*sleep)) : 1000;
      clock.advance(std::min(step, until - clock.wall));
      sleep = engine->tick();
    }
  }
  // The order in which jobs first fall due from now (their phases differ).
  std::vector<std::string> dueOrder(const std::vector<std::string>& names) const {
    std::vector<std::pair<int64_t, std::string>> due;
    for (const std::string& name : names) {
      JobDefinition job = everyMinuteJob(name);
      due.emplace_back(nextDueUnixMs(job.schedule(), phaseForJob(job.id(), job.schedule()), clock.wall), job.id());
    }
    std::sort(due.begin(), due.end());
    std::vector<std::string> ids;
    for (const auto& [at, id] : due) ids.push_back(id);
    return ids;
  }

  FakeClock clock;
  FakeLauncher launcher;
  FakeRecorder recorder;
  std::unique_ptr<RunEngine> engine;
  std::optional<uint64_t> sleep;
  std::vector<int64_t> dueOfStarted;
};

TEST_F(RunEngineTest, DueWhileRunningIsAnOverrunNotASecondRun) {
  build(8, {"slow"});
  runFor(60'000);
  ASSERT_EQ(launcher.launched.size(), 1u);
  uint64_t first = launcher.launched[0].runId;
  runFor(2 * 60'000);  // due twice more while the first run goes on
  EXPECT_EQ(launcher.launched.size(), 1u) << "a second run of the same job was started";
  EXPECT_EQ(engine->stats().overruns, 2u);
  EXPECT_EQ(engine->running(), 1u);
  launcher.finish(first);
  ASSERT_EQ(recorder.recorded, std::vector<std::string>{"exec:slow"});
  EXPECT_EQ(recorder.overrunsAtRecord[0], 2u) << "the overruns are kept in the job's record";
  EXPECT_EQ(engine->running(), 0u);
  runFor(60'000);
  EXPECT_EQ(launcher.launched.size(), 2u) << "the job runs again when next due";
}

TEST_F(RunEngineTest, RunsBeyondTheCapWaitInDueOrderAndStartAsSlotsFree) {
  std::vector<std::string> names = {"a", "b", "c", "d"};
  build(1, names);
  std::vector<std::string> order = dueOrder(names);
  runFor(60'000);  // all four are due once
  ASSERT_EQ(launcher.jobsLaunched(), std::vector<std::string>{order[0]});
  EXPECT_EQ(engine->running(), 1u);
  ASSERT_TRUE(engine->oldestWaitingDueMs().has_value());
  for (size_t i = 1; i < order.size(); ++i) {
    launcher.finish(launcher.runOf(order[i - 1]));
    ASSERT_EQ(launcher.launched.size(), i + 1) << "a freed slot did not start the next waiting run";
    EXPECT_EQ(launcher.launched[i].jobId, order[i]) << "waiting runs start first come, first served";
    EXPECT_EQ(engine->running(), 1u) << "more runs than maxConcurrentRuns";
  }
  // A queued run keeps the time it fell due.
  ASSERT_EQ(dueOfStarted.size(), 4u);
  EXPECT_TRUE(std::is_sorted(dueOfStarted.begin(), dueOfStarted.end()));
  EXPECT_LT(dueOfStarted[3], clock.wall - 1);
  EXPECT_FALSE(engine->oldestWaitingDueMs().has_value());
  EXPECT_EQ(engine->stats().overruns, 0u);
}

TEST_F(RunEngineTest, AJobRetiredByReloadWhileRunningIsNotRecordedNorScheduledAgain) {
  build(8, {"gone", "stays"});
  runFor(60'000);
  ASSERT_EQ(launcher.launched.size(), 2u);
  uint64_t goneRun = launcher.runOf("exec:gone");
  uint64_t staysRun = launcher.runOf("exec:stays");
  ASSERT_NE(goneRun, 0u);
  std::vector<JobDefinition> reloaded;
  reloaded.push_back(everyMinuteJob("stays"));
  RunEngine::Reconciled counts =
      engine->replaceJobs(std::move(reloaded), [](const std::string&) { return std::optional<JobRecord>{}; });
  EXPECT_EQ(counts.removed, 1u);
  EXPECT_EQ(counts.active, 1u);
  engine->chooseRunners([this](const JobDefinition&) { return &engine->workerRunner(); });
  sleep = engine->schedule();
  EXPECT_EQ(engine->running(), 2u) << "the removed job's run goes on";
  launcher.finish(goneRun);
  launcher.finish(staysRun);
  EXPECT_EQ(recorder.recorded, std::vector<std::string>{"exec:stays"}) << "the retired job's run was recorded";
  EXPECT_EQ(engine->stats().runsFinished, 2u);
  std::vector<std::pair<std::string, std::string>> live = engine->liveJobs();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].first, "exec:stays");
  for (int minute = 0; minute < 5; ++minute) {
    runFor(60'000);
    if (uint64_t run = launcher.runOf("exec:stays")) launcher.finish(run);
  }
  ASSERT_EQ(launcher.launched.size(), 2u + 5u);
  for (size_t i = 2; i < launcher.launched.size(); ++i) {
    EXPECT_EQ(launcher.launched[i].jobId, "exec:stays") << "the retired job was scheduled again";
  }
  EXPECT_EQ(engine->stats().overruns, 0u);
}

TEST_F(RunEngineTest, RunsLostWithTheLauncherAreCountedNotRecordedAndTheQueueResumes) {
  std::vector<std::string> names = {"a", "b", "c"};
  build(2, names);
  std::vector<std::string> order = dueOrder(names);
  runFor(60'000);
  ASSERT_EQ(launcher.launched.size(), 2u);
  ASSERT_EQ(engine->running(), 2u);
  launcher.die();
  EXPECT_EQ(engine->stats().runsLostWithLauncher, 2u);
  EXPECT_TRUE(recorder.recorded.empty()) << "a run lost with the launcher was recorded";
  EXPECT_EQ(engine->running(), 0u);
  EXPECT_EQ(launcher.launched.size(), 2u) << "a run started while there was no launcher";
  ASSERT_TRUE(engine->oldestWaitingDueMs().has_value()) << "the third run should still wait";
  launcher.up = true;
  engine->onLauncherReady();
  ASSERT_EQ(launcher.launched.size(), 3u) << "the waiting run did not start when the launcher came back";
  EXPECT_EQ(launcher.launched[2].jobId, order[2]);
  launcher.finish(launcher.launched[2].runId);
  EXPECT_EQ(recorder.recorded, std::vector<std::string>{order[2]});
  EXPECT_EQ(engine->stats().spawnFailures, 0u);
}

TEST_F(RunEngineTest, RunsKilledAtTheEndOfTheStopGraceAreInterruptedNotRecorded) {
  build(8, {"a"});
  runFor(60'000);
  ASSERT_EQ(launcher.launched.size(), 1u);
  engine->stop();
  engine->killAll();
  ASSERT_EQ(launcher.killed.size(), 1u);
  launcher.finish(launcher.killed[0]);
  EXPECT_TRUE(recorder.recorded.empty());
  EXPECT_EQ(engine->running(), 0u);
  EXPECT_FALSE(engine->tick().has_value()) << "a stopped engine asks to be woken";
}

// Run now (issue 19): a peer's question about a stale result starts the
// job's run at once; a run going is joined, not doubled; and one job is
// never run more often than once per kRunNowEveryMs for peers.
TEST_F(RunEngineTest, RunNowStartsAtOnceJoinsARunGoingAndIsRateLimited) {
  build(8, {"db"});
  std::vector<std::optional<RunEngine::FreshRun>> heard;
  auto listen = [&](std::optional<RunEngine::FreshRun> fresh) { heard.push_back(std::move(fresh)); };
  EXPECT_FALSE(engine->newestResult("exec:db").has_value()) << "never run: no result";
  EXPECT_EQ(engine->runNow("exec:nope", "for a test", listen), RunEngine::RunNow::unknownJob);
  ASSERT_EQ(engine->runNow("exec:db", "for a test", listen), RunEngine::RunNow::started);
  ASSERT_EQ(launcher.launched.size(), 1u) << "not started at once";
  EXPECT_EQ(engine->runNow("exec:db", "for a test", listen), RunEngine::RunNow::joined);
  EXPECT_EQ(launcher.launched.size(), 1u) << "a second run for a second question";
  EXPECT_TRUE(heard.empty());
  launcher.finish(launcher.launched[0].runId);
  ASSERT_EQ(heard.size(), 2u) << "each waiter hears the run's end once";
  ASSERT_TRUE(heard[0].has_value());
  EXPECT_TRUE(heard[1].has_value());
  EXPECT_EQ(recorder.recorded, std::vector<std::string>{"exec:db"}) << "a run now is recorded like any run";
  clock.advance(RunEngine::kRunNowEveryMs - 1);
  EXPECT_EQ(engine->runNow("exec:db", "for a test", listen), RunEngine::RunNow::tooSoon);
  EXPECT_EQ(launcher.launched.size(), 1u);
  // Too soon: what that question gets instead is the newest recorded result
  // (the state may not hold it yet).
  std::optional<RunEngine::FreshRun> newest = engine->newestResult("exec:db");
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(newest->startedUnixMs, heard[0]->startedUnixMs);
  EXPECT_FALSE(engine->newestResult("exec:nope").has_value());
  clock.advance(1);
  EXPECT_EQ(engine->runNow("exec:db", "for a test", listen), RunEngine::RunNow::started);
  EXPECT_EQ(launcher.launched.size(), 2u);
  // A run that ends unrecorded (the launcher lost it) is heard as nothing.
  launcher.finish(launcher.launched[1].runId, /*launcherLost=*/true);
  ASSERT_EQ(heard.size(), 3u);
  EXPECT_FALSE(heard[2].has_value());
}

TEST_F(RunEngineTest, RunNowWaitsForASlotAndStopTellsTheWaiters) {
  build(1, {"a", "b"});
  int heard = 0, recorded = 0;
  auto listen = [&](std::optional<RunEngine::FreshRun> fresh) {
    ++heard;
    recorded += fresh.has_value();
  };
  ASSERT_EQ(engine->runNow("exec:a", "for a test", listen), RunEngine::RunNow::started);
  ASSERT_EQ(engine->runNow("exec:b", "for a test", listen), RunEngine::RunNow::started);
  EXPECT_EQ(launcher.launched.size(), 1u) << "beyond maxConcurrentRuns";
  EXPECT_EQ(engine->runNow("exec:b", "for a test", listen), RunEngine::RunNow::joined);
  engine->stop();
  EXPECT_EQ(heard, 2) << "the waiting run's askers are told at stop";
  EXPECT_EQ(recorded, 0);
  launcher.finish(launcher.launched[0].runId);
  EXPECT_EQ(heard, 3);
  EXPECT_EQ(recorded, 1);
}

}  // namespace
}  // namespace checker
