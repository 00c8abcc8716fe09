#pragma once
// The daemon's RunLauncher: every run's worker is forked by the worker
// launcher (worker_runs/worker_launcher.h) into the run's sandbox: an empty
// working directory, per-run cgroups where the machine has them (else
// rlimits), the job user. It owns the launcher and the cgroups, builds each
// run's request, and after each run reads its cgroup's memory events and
// removes the cgroup (retrying while its processes are still dying).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "supervisor/run_launcher.h"
#include "worker_runs/job_user.h"
#include "worker_runs/probe_worker.h"
#include "worker_runs/run_cgroups.h"
#include "worker_runs/worker_launcher.h"

namespace checker {

class WorkerRunLauncher final : public RunLauncher {
 public:
  // CONFIG is the supervisor's, replaced in place by a reload: each run
  // takes the server name, plugin dir and state dir it has then.
  WorkerRunLauncher(uv_loop_t* loop, const Config& config, std::string workerPath, JobUser jobUser);
  ~WorkerRunLauncher();

  // Makes the runs' working directory, sets up the cgroups and spawns the
  // launcher; an error when runs cannot be started at all.
  Result<> start();
  // Called each time a restarted launcher is ready for runs again.
  void setOnReady(std::function<void()> onReady);

  bool ready() const override;
  Result<> launch(const JobDefinition& job, uint64_t runId, int64_t startUnixMs, Done done) override;
  void kill(uint64_t runId) override;

  // A probe worker (isolation = batch; supervisor/batch_runner.h) as run
  // RUN_ID: forked by the launcher like any run, in a run cgroup of its own
  // with probeWorkerLimits(). releaseProbeWorker once it has ended: removes
  // its cgroup and says whether its memory limit killed it.
  Result<ProbeWorker*> launchProbeWorker(uint64_t runId, ProbeWorker::Listener* listener);
  bool releaseProbeWorker(uint64_t runId);

  // At stop, with no run left: gives run cgroups still being emptied a
  // bounded moment, so none outlives the supervisor.
  void finishCleanups();
  void stop();

 private:
  void onRunDone(uint64_t runId, const Done& done, WorkerRunReport&& report);
  // Reads the run's memory events into REPORT (if any) and removes its cgroups.
  void releaseSandbox(uint64_t runId, WorkerRunReport* report = nullptr);
  void retryCleanups();

  uv_loop_t* loop_;
  const Config& config_;
  std::string workerPath_;
  JobUser jobUser_;
  std::string workDir_;
  std::unique_ptr<RunCgroups> cgroups_;
  std::unique_ptr<WorkerLauncher> launcher_;  // forks every run's worker
  std::unordered_map<uint64_t, WorkerRun*> runs_;
  uv_timer_t cleanupTimer_{};  // retries removal of run cgroups
  bool timerOpen_ = false;
  std::vector<uint64_t> pendingCleanups_;
};

}  // namespace checker
