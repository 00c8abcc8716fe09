// checker check-config -c FILE: validate FILE and print the jobs it would run,
// one line each: NAME  ID  type=...  every=...  notify=...  threshold=...
#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "worker_runs/load_jobs.h"
#include "worker_runs/run_once.h"

namespace checker::cli {

int checkConfig(const CommonOptions& options) {
  if (!options.rest.empty()) {
    std::fprintf(stderr, "checker check-config: unexpected argument '%s'\n", options.rest.front().c_str());
    return kExitUsage;
  }
  LoadedConfig loaded = loadJobs(options.configPath, {defaultWorkerPath()});
  for (const std::string& w : loaded.warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "checker check-config: %zu error(s) in %s; nothing would start\n", loaded.errors.size(),
                 options.configPath.c_str());
    return kExitUsage;
  }
  // The name first (what status, logs and mails show, and what run-job and
  // import-state match), then the id and settings.
  size_t nameWidth = 0;
  for (const JobDefinition& job : loaded.jobs) nameWidth = std::max(nameWidth, job.name().size());
  for (const JobDefinition& job : loaded.jobs) {
    std::printf("%-*s  %s\n", static_cast<int>(nameWidth), job.name().c_str(), describeJob(job).c_str());
  }
  std::fprintf(stderr, "checker check-config: %s is valid: %zu job(s)\n", options.configPath.c_str(),
               loaded.jobs.size());
  return kExitOk;
}

}  // namespace checker::cli
