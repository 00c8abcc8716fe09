#pragma once
// One run of one job, outside the daemon: the same worker, request and
// sandbox as checkerd uses, on a private loop; blocks until the run is over.
// For `checker run-job`; it writes no state.
#include <string>

#include "config/config.h"
#include "config/job_catalog.h"
#include "state/run_outcome.h"
#include "worker_runs/run_request.h"
#include "worker_runs/worker_run.h"

#include <memory>

namespace checker {

struct SingleRun {
  ClassifiedRun run;
  uint32_t durationMs = 0;
  std::string stderrText;
};

// The worker drops to USER when this process is root, as checkerd's do.
SingleRun runJobOnce(const JobDefinition& job, const Config& config, const std::string& workerPath,
                     const JobUser& user = JobUser::byDefault());

// The pieces run-job and plugin describe share: an empty work directory and
// the machine's run cgroups for a few worker runs outside the daemon, and one
// worker run on a private loop that blocks until it is over.
class RunCgroups;
class OneShotSandbox {
 public:
  // Makes the work directory, detects cgroups; workers drop to USER.
  explicit OneShotSandbox(JobUser user = JobUser::byDefault());
  ~OneShotSandbox();  // removes the work directory
  OneShotSandbox(const OneShotSandbox&) = delete;
  OneShotSandbox& operator=(const OneShotSandbox&) = delete;

  bool ok() const { return !workDir_.empty(); }
  // The sandbox of one run (its cgroups made now) and a fresh run id.
  SandboxPlan plan(const JobDefinition& job, uint64_t* runId);
  // Spawns the worker with REQUEST and waits; memoryLimitHit is filled in and
  // the run's cgroups are removed before it returns.
  WorkerRunReport runWorker(const std::string& workerPath, std::string request, uint32_t timeoutMs, uint64_t runId);

 private:
  JobUser user_;
  std::string workDir_;
  std::unique_ptr<RunCgroups> cgroups_;
  uint64_t nextRunId_;
};

// The worker beside the running executable, else where the installed layout
// puts it (../lib/checker from the executable's directory, then
// /usr/lib/checker).
std::string defaultWorkerPath();
// The same for the mailer.
std::string defaultMailerPath();
std::string defaultPeerdPath();

}  // namespace checker
