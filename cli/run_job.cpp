// checker run-job -c FILE NAME [--json] [--job-user USER]: run the jobs
// named NAME (a section name, a job name, or an id) once, through the same
// worker and sandbox as checkerd, as the same user (started by root, the
// worker drops to USER, nobody by default: what works here works in
// checkerd). Changes no state. Exit 0 when every run was ok, 1 otherwise.
#include <cstdio>

#include "cli/commands.h"
#include "common/json_text.h"
#include "config/job_catalog.h"
#include "worker_runs/load_jobs.h"
#include "worker_runs/job_user.h"
#include "worker_runs/run_once.h"

namespace checker::cli {
namespace {

bool matches(const JobDefinition& job, const std::string& name) {
  return job.name() == name || job.section() == name || job.id() == name;
}

void printRun(const JobDefinition& job, const SingleRun& r, bool json) {
  if (json) {
    Json line{{"id", job.id()},
              {"name", job.name()},
              {"outcome", outcomeName(r.run.outcome)},
              {"message", r.run.message},
              {"duration_ms", r.durationMs}};
    std::printf("%s\n", jsonText(line).c_str());
  } else {
    std::printf("%s (%s): %s in %u ms%s%s\n", job.name().c_str(), job.id().c_str(), outcomeName(r.run.outcome),
                r.durationMs, r.run.message.empty() ? "" : ": ", r.run.message.c_str());
  }
}

}  // namespace

int runJob(const CommonOptions& options) {
  bool json = false;
  std::string name;
  JobUser user = JobUser::byDefault();
  for (size_t i = 0; i < options.rest.size(); ++i) {
    const std::string& arg = options.rest[i];
    if (arg == "--json") json = true;
    else if (arg == "--job-user" && i + 1 < options.rest.size()) {
      Result<JobUser> named = JobUser::lookup(options.rest[++i]);
      if (!named) {
        std::fprintf(stderr, "checker run-job: --job-user: %s\n", named.error().c_str());
        return kExitUsage;
      }
      user = std::move(*named);
    } else if (name.empty() && arg.rfind("-", 0) != 0) name = arg;
    else {
      std::fprintf(stderr, "checker run-job: unexpected argument '%s'\n", arg.c_str());
      return kExitUsage;
    }
  }
  if (name.empty()) {
    std::fprintf(stderr, "usage: checker run-job -c FILE NAME [--json] [--job-user USER]\n");
    return kExitUsage;
  }
  LoadedConfig loaded = loadJobs(options.configPath, {defaultWorkerPath(), user});
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  int ran = 0, failed = 0;
  for (const JobDefinition& job : loaded.jobs) {
    if (!matches(job, name) || job.system()) continue;
    SingleRun r = runJobOnce(job, loaded.config, defaultWorkerPath(), user);
    printRun(job, r, json);
    ++ran;
    if (r.run.outcome != ipc::Outcome::OK) ++failed;
  }
  if (ran == 0) {
    std::fprintf(stderr, "checker run-job: no job named '%s' in %s (see checker check-config)\n", name.c_str(),
                 options.configPath.c_str());
    return kExitUsage;
  }
  return failed == 0 ? kExitOk : kExitUnhealthy;
}

}  // namespace checker::cli
