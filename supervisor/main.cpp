// checkerd: the supervisor. Today it loads and validates its config and
// logs the jobs it would run; the scheduler, workers and children come with
// the core issue (docs/architecture.md, "Status of the pieces").
#include <cstdio>
#include <cstring>
#include <string>

#include "common/log.h"
#include "jobs/job_catalog.h"

namespace {

constexpr int kExitUsage = 2;

void usage(FILE* out) { std::fprintf(out, "usage: checkerd -c FILE\n"); }

}  // namespace

int main(int argc, char** argv) {
  checker::log::setProgram("checkerd");
  std::string configPath = "/etc/checker/settings.cfg";
  for (int i = 1; i < argc; ++i) {
    if ((std::strcmp(argv[i], "-c") == 0 || std::strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
      configPath = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return kExitUsage;
    }
  }
  checker::LoadedConfig loaded = checker::loadConfiguration(configPath);
  for (const std::string& w : loaded.warnings) CHECKER_LOG_WARN("%s", w.c_str());
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) CHECKER_LOG_ERROR("%s", e.c_str());
    CHECKER_LOG_ERROR("config %s has %zu error(s); not starting", configPath.c_str(), loaded.errors.size());
    return kExitUsage;
  }
  CHECKER_LOG_INFO("config %s: %zu job(s)", configPath.c_str(), loaded.jobs.size());
  for (const checker::JobDefinition& job : loaded.jobs) {
    CHECKER_LOG_INFO("would run job %s", checker::describeJob(job).c_str());
  }
  CHECKER_LOG_INFO("the scheduler is not built yet: exiting after validating the config");
  return 0;
}
