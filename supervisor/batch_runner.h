#pragma once
// The JobRunner of jobs with `isolation = batch` (built-in network types
// only): each run is one probe handed to a long-lived probe worker
// (worker_runs/probe_worker.h), forked by the worker launcher into the same
// sandbox, privilege drop and run cgroup as any run, that runs many probes
// at once on its own loop. Per job nothing changes: each probe has its
// job's deadline and is classified as a run of it is (its message, ok or
// failed, timed_out when the job gave up at its deadline).
//
// What the process boundary of a run gave, this runner keeps: a probe
// worker that dies (a signal, an exit, a malformed result) ends every
// probe it held as `crashed` (`limit` when its memory cgroup killed it),
// and the next probe starts a new worker; a worker that holds a probe past
// its deadline plus the grace is wedged (each probe keeps its own
// deadline on the worker's loop), and is killed: the overdue probes end
// `timed_out`, the others `crashed`. The supervisor is untouched by either.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "supervisor/job_runner.h"
#include "supervisor/run_clock.h"
#include "supervisor/worker_run_launcher.h"
#include "worker_runs/probe_worker.h"

namespace checker {

class BatchRunner final : public JobRunner, private ProbeWorker::Listener {
 public:
  // CONFIG is the supervisor's, replaced in place by a reload.
  // ON_WORKER_GONE: after a worker's end once stop() was called.
  BatchRunner(uv_loop_t* loop, Clock& clock, const Config& config, WorkerRunLauncher& launcher, RunSink& sink,
              std::function<void()> onWorkerGone);
  ~BatchRunner();
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  Start start(const JobDefinition& job, uint64_t runId) override;
  void kill(uint64_t runId) override;
  bool takesRunSlot() const override { return false; }

  // The worker launcher is back after a restart: waiting probes go out.
  void onLauncherReady() { sendWaiting(); }
  // At the supervisor's stop, once no run is left: the worker ends (its
  // stdin closes) and the timer closes.
  void stop();
  bool workerAlive() const { return worker_ != nullptr; }
  uint64_t workersStarted() const { return workersStarted_; }
  int workerPid() const { return worker_ != nullptr ? worker_->pid() : 0; }

 private:
  struct Probe {
    JobDefinition job;  // as it was when due, whatever a reload does meanwhile
    int64_t startedUnixMs = 0;  // when sent: a probe that waited starts then, as a waiting run does
    uint64_t startedMonoMs = 0;
    uint64_t overdueAtMonoMs = 0;  // deadline + grace
    ProbeWorker* sentTo = nullptr;
    bool overdue = false;
  };

  void sendWaiting();
  Result<> ensureWorker();
  void failWaiting(const std::string& why);
  void onProbeResult(std::unique_ptr<ipc::DecodedMessage> reply) override;
  void onProbeWorkerEnded(const ProbeWorkerEnd& end) override;
  void checkDeadlines();
  void armTimer();
  void finish(uint64_t runId, RunResult result);

  uv_loop_t* loop_;
  Clock& clock_;
  const Config& config_;
  WorkerRunLauncher& launcher_;
  RunSink& sink_;
  std::function<void()> onWorkerGone_;
  ProbeWorker* worker_ = nullptr;  // the live worker, if any (it frees itself after its end)
  uint64_t workersStarted_ = 0;
  size_t inFlight_ = 0;           // sent to worker_, not yet answered
  bool abandoned_ = false;        // worker_ holds a probe killed by the stop
  std::unordered_map<uint64_t, Probe> probes_;  // started, not yet ended; by run id
  std::deque<uint64_t> waiting_;  // not yet sent (no worker yet, or kProbesInFlight reached)
  uv_timer_t timer_{};
  uv_idle_t flush_{};     // sends what start() queued, once per loop turn
  bool timerOpen_ = false;  // both handles open (until stop())
};

}  // namespace checker
