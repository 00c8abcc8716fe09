#pragma once
// One run of one job, outside the daemon: the same worker, request and
// sandbox as checkerd uses, on a private loop; blocks until the run is over.
// For `checker run-job`; it writes no state.
#include <string>

#include "common/config.h"
#include "jobs/job_catalog.h"
#include "supervisor/run_outcome.h"

namespace checker {

struct SingleRun {
  ClassifiedRun run;
  uint32_t durationMs = 0;
  std::string stderrText;
};

SingleRun runJobOnce(const JobDefinition& job, const Config& config, const std::string& workerPath);

// The worker beside the running executable, else the package's copy.
std::string defaultWorkerPath();

}  // namespace checker
