#pragma once
// How the run engine has a job's worker started, behind an interface so
// tests drive the engine with a fake launcher (no processes). The daemon's
// is WorkerRunLauncher (supervisor/worker_run_launcher.h): the worker
// launcher, per-run cgroups and the run's pipes.
#include <cstdint>
#include <functional>

#include "common/result.h"
#include "config/job_catalog.h"
#include "worker_runs/worker_run.h"

namespace checker {

class RunLauncher {
 public:
  using Done = std::function<void(WorkerRunReport&&)>;

  // Can it start a run now? (Not while the launcher restarts: due runs wait.)
  virtual bool ready() const = 0;
  // Starts run RUN_ID of JOB at START_UNIX_MS; DONE hears its report once,
  // later, from the loop (report.launcherLost when the launcher died under
  // it). An error (nothing could be spawned) and DONE is never called.
  virtual Result<> launch(const JobDefinition& job, uint64_t runId, int64_t startUnixMs, Done done) = 0;
  // Kills run RUN_ID's process group now; its report still comes.
  virtual void kill(uint64_t runId) = 0;

 protected:
  ~RunLauncher() = default;
};

}  // namespace checker
