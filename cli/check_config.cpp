// checker check-config -c FILE: validate FILE and print the jobs it would run.
#include <cstdio>

#include "cli/commands.h"
#include "jobs/job_catalog.h"
#include "supervisor/plugin_describe.h"
#include "supervisor/run_once.h"

namespace checker::cli {

int checkConfig(const CommonOptions& options) {
  if (!options.rest.empty()) {
    std::fprintf(stderr, "checker check-config: unexpected argument '%s'\n", options.rest.front().c_str());
    return kExitUsage;
  }
  LoadedConfig loaded = loadConfiguration(options.configPath);
  if (loaded.ok()) describePluginJobs(loaded, defaultWorkerPath());
  for (const std::string& w : loaded.warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "checker check-config: %zu error(s) in %s; nothing would start\n", loaded.errors.size(),
                 options.configPath.c_str());
    return kExitUsage;
  }
  for (const JobDefinition& job : loaded.jobs) std::printf("%s\n", describeJob(job).c_str());
  std::fprintf(stderr, "checker check-config: %s is valid: %zu job(s)\n", options.configPath.c_str(),
               loaded.jobs.size());
  return kExitOk;
}

}  // namespace checker::cli
