#pragma once
// The run engine: when each job is due, whether it may start, and what its
// finished run leaves behind (due -> start -> classify -> record). It holds
// every job's schedule and run state; it starts runs through each job's
// JobRunner, reads time from an injected Clock, has worker runs started by
// an injected RunLauncher and hands each finished run to a RunRecorder (the
// alerting path). It arms no timer and spawns nothing itself: the owner
// calls tick() when asked to, so tests drive it with a fake clock.
//
// Job life is a small state machine:
//
//   state     event      -> action / next state
//   idle      due        -> start a run / running (or wait, FIFO, for a slot:
//                           maxConcurrentRuns and a ready launcher)
//   running   due        -> count and log an overrun / running
//   running   finished   -> classify, record (policy, state) / idle
//   running   stop grace -> kill: the run ends interrupted, not recorded
//   running   launcher dies -> the run is lost, not recorded / idle
//   *         removed by a reload -> retired: never due again; a run in
//                           progress finishes, not recorded
//   idle      run now    -> start a run at once (or wait for a slot), unless
//                           a run now started it within kRunNowEveryMs
//   running   run now    -> no new run: the asker waits for this one
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/job_catalog.h"
#include "state/run_metrics.h"
#include "state/state_writer.h"
#include "supervisor/job_runner.h"
#include "supervisor/run_clock.h"
#include "supervisor/run_launcher.h"
#include "supervisor/scheduler.h"
#include "supervisor/worker_runner.h"

namespace checker {

struct RunStats {
  uint64_t runsStarted = 0;
  uint64_t runsFinished = 0;
  uint64_t overruns = 0;
  uint64_t spawnFailures = 0;
  uint64_t runsLostWithLauncher = 0;  // the launcher died under them: not recorded
  uint64_t outboxEntries = 0;
  RunMetrics runs;  // recorded runs by outcome and duration, for peerd's /metrics
};

// Where a finished run of a live job goes: the notification policy, the
// notice and the state (supervisor/alerting.h). RECORD is the job's record,
// updated in place.
class RunRecorder {
 public:
  virtual void record(const JobDefinition& job, JobRecord& record, const RunResult& result) = 0;

 protected:
  ~RunRecorder() = default;
};

class RunEngine final : public RunSink {
 public:
  struct Hooks {
    // As each run starts: (job index, due time, start time). The benchmark's lateness.
    std::function<void(size_t, int64_t, int64_t)> onRunStarted;
    // After each run ended (and the queue moved on): the owner's stop check.
    // WORKER_RUN: it was a worker's (not a helper child's) run.
    std::function<void(bool workerRun)> onRunEnded;
  };
  // Which runner runs JOB; nullptr: it is not run here (a system job whose
  // helper child is not configured).
  using ChooseRunner = std::function<JobRunner*(const JobDefinition& job)>;

  RunEngine(Clock& clock, RunLauncher& launcher, RunRecorder& recorder, uint32_t maxConcurrentRuns, Hooks hooks);
  RunEngine(const RunEngine&) = delete;
  RunEngine& operator=(const RunEngine&) = delete;

  // The jobs at start, and their records as the state has them.
  void addJobs(std::vector<JobDefinition> jobs);
  void loadRecords(const std::unordered_map<std::string, JobRecord>& records);
  void chooseRunners(const ChooseRunner& choose);
  // The one runner for worker runs, for ChooseRunner.
  JobRunner& workerRunner() { return worker_; }

  // A reload's new job list. A job whose id stays keeps its record, phase
  // and run in progress; a new one carries on from STORED (its record in
  // the state, if any); a removed one is retired. Choose runners and
  // schedule() afterwards.
  struct Reconciled {
    size_t added = 0, removed = 0, changed = 0, active = 0;
  };
  using StoredRecord = std::function<std::optional<JobRecord>(const std::string& jobId)>;
  Reconciled replaceJobs(std::vector<JobDefinition> jobs, const StoredRecord& stored);

  // Computes every job's next due time from now. Returns how long the owner
  // may sleep before tick(), or nothing when no job is scheduled.
  std::optional<uint64_t> schedule();
  // Starts what is due (a stepped wall clock reschedules everything).
  std::optional<uint64_t> tick();
  // The launcher is ready again: waiting runs start.
  void onLauncherReady() { startWaiting(); }
  // No new runs from now; waiting ones are dropped.
  void stop();
  // The stop grace period is over: every run in progress is killed.
  void killAll();

  // A fresh result wanted now (issue 19): a peer's question about a job
  // whose result here is stale, or the notice gate's about a job others
  // depend on. RUN_NOW starts JOB_ID's run at once (started; it waits for a slot like
  // a due run), unless it is running or waiting for a slot already (joined:
  // DONE waits for that run), or a run now started it less than
  // kRunNowEveryMs ago (tooSoon), or no live job has that id (unknownJob),
  // or it was not started (notStarted). DONE is called exactly once, for
  // started and joined only (later, or before runNow returns when the run
  // ends at once): with the fresh run, or nullopt when it ended without a
  // record.
  struct FreshRun {
    JobHealth health = JobHealth::neverRun;  // the job's, after the run
    int64_t startedUnixMs = 0;
    ipc::Outcome outcome = ipc::Outcome::OK;
    std::string message = {};
  };
  using RunNowDone = std::function<void(std::optional<FreshRun>)>;
  enum class RunNow { started, joined, tooSoon, unknownJob, notStarted };
  static constexpr uint64_t kRunNowEveryMs = 10'000;
  // WHY ends the log line "job NAME: run now, WHY".
  RunNow runNow(const std::string& jobId, const char* why, RunNowDone done);
  // JOB_ID's newest recorded result, as the state will hold it once
  // written (a flush later); nullopt: no such live job, or never run.
  std::optional<FreshRun> newestResult(const std::string& jobId);

  // RunSink: how runners tell of a run's end.
  void runFinished(uint64_t runId, RunResult result) override;
  void runEnded(uint64_t runId, Unrecorded why) override;
  void runNotStarted(uint64_t runId, RunResult result) override;

  size_t running() const { return runs_.size(); }
  size_t scheduled() const { return queue_.size(); }
  const RunStats& stats() const { return stats_; }
  RunStats& stats() { return stats_; }
  // Due time of the run waiting longest for a slot, if any.
  std::optional<int64_t> oldestWaitingDueMs() const;
  // (id, name) of every job not retired, in order.
  std::vector<std::pair<std::string, std::string>> liveJobs() const;
  // Calls VISIT with every job not retired, in order.
  void forEachLiveJob(const std::function<void(const JobDefinition&)>& visit) const;
  // Calls VISIT with every job not retired and its record, in order.
  void forEachLiveRecord(const std::function<void(const JobDefinition&, const JobRecord&)>& visit) const;
  // The same, the record to change between runs (the notice gate holds or
  // releases a notice); the caller has it written (StateWriter::amendRecord).
  void updateLiveRecords(const std::function<void(const JobDefinition&, JobRecord&)>& visit);
  // The job not retired with id JOB_ID, and its record; nulls when none.
  struct LiveJob {
    const JobDefinition* def = nullptr;
    JobRecord* record = nullptr;
  };
  LiveJob liveJob(const std::string& jobId);

 private:
  struct Job {
    explicit Job(JobDefinition definition);
    JobDefinition def;
    JobRunner* runner = nullptr;
    int64_t phaseMs = 0;
    uint32_t generation = 0;
    bool running = false;
    bool waiting = false;  // due, but no run slot was free
    int64_t waitingDueMs = 0;
    bool retired = false;  // removed by a reload: never scheduled again
    JobRecord record;
    bool ranNow = false;             // a run now has started it (at lastRunNowMonoMs)
    uint64_t lastRunNowMonoMs = 0;
    std::vector<RunNowDone> runNowWaiters = {};  // for the run going or waiting
  };
  struct Run {
    size_t job;
    JobRunner* runner;
  };

  void onDue(size_t index, int64_t dueMs);
  void startRun(size_t index, int64_t dueMs);
  void startWaiting();
  // The run's bookkeeping is over; returns its job, or nullptr if unknown.
  Job* endRun(uint64_t runId, bool* workerRun);
  void record(Job& job, const RunResult& result);
  void afterRunEnded(bool workerRun);
  void retire(size_t index);
  // Tells the run-now waiters of JOB how its run ended (FRESH: nullopt when not recorded).
  void tellRunNowWaiters(Job& job, const std::optional<FreshRun>& fresh);
  std::optional<FreshRun> freshRun(const Job& job, const RunResult& result) const;
  void placeNewJob(Job job);
  std::optional<uint64_t> sleepFor(int64_t now) const;

  Clock& clock_;
  RunLauncher& launcher_;
  RunRecorder& recorder_;
  uint32_t maxConcurrentRuns_;
  Hooks hooks_;
  WorkerRunner worker_;
  std::vector<Job> jobs_;  // never moved: runs refer to jobs by index
  std::unordered_map<std::string, size_t> byId_;  // live jobs; rebuilt when jobs change
  bool byIdStale_ = true;
  DueQueue queue_;
  std::deque<size_t> waiting_;
  size_t slotted_ = 0;  // runs in progress that take a run slot
  std::unordered_map<uint64_t, Run> runs_;  // in progress, by run id
  uint64_t nextRunId_ = 1;
  bool stopping_ = false;
  int64_t lastTickWallMs_ = 0;
  uint64_t lastTickMonoMs_ = 0;
  RunStats stats_;
};

}  // namespace checker
