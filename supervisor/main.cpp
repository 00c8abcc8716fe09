// checkerd -c FILE: the supervisor. Loads the config (exit 2 on any error,
// before anything starts), opens the state, and runs the libuv loop until
// SIGTERM/SIGINT. Started by root, it drops every worker to --job-user
// (default nobody; the Debian package's unit names its own user).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/log.h"
#include "worker_runs/load_jobs.h"
#include "worker_runs/run_once.h"
#include "supervisor/supervisor.h"
#include "process/exit_codes.h"

namespace {

// Bad usage or config: the unit does not restart it in a loop. Temporary:
// e.g. the state cannot be opened now (process/exit_codes.h).
using checker::kExitTemporary;
using checker::kExitUsage;

struct Options {
  std::string configPath = "/etc/checker/settings.cfg";
  bool configGiven = false;
  std::string workerPath;
  std::string jobUser;  // empty: nobody
  uint32_t stopGraceMs = 10'000;
};

// Also the text of checkerd(8) (packaging/man/help_to_man.cmake).
void usage(FILE* out) {
  std::fprintf(out,
               "usage: checkerd [-c FILE] [--worker PATH] [--job-user USER] [--stop-grace DURATION]\n"
               "       checkerd --help | --version\n"
               "\n"
               "The checker daemon: runs every job of FILE on its schedule, each in a sandboxed\n"
               "worker, records the state, mails alerts through checker-mailer and answers\n"
               "peers through checker-peerd. Watch it with: checker status -c FILE\n"
               "\n"
               "options:\n"
               "  -c FILE               the config (default /etc/checker/settings.cfg)\n"
               "  --worker PATH         the checker-worker program (default: beside checkerd)\n"
               "  --job-user USER       started as root, run every job as USER and its group\n"
               "                        (default nobody:nogroup)\n"
               "  --stop-grace DURATION on SIGTERM, how long running jobs may finish (default 10s)\n"
               "\n"
               "signals:\n"
               "  SIGTERM, SIGINT       stop: running jobs get --stop-grace, then are killed\n"
               "  SIGHUP                re-read the config (as checker reload); a bad one is refused\n"
               "\n"
               "exit codes:\n"
               "  0    stopped by SIGTERM or SIGINT\n"
               "  2    bad usage or bad config: nothing was started (do not restart)\n"
               "  111  the state cannot be opened (e.g. another checkerd has it): retrying may help\n");
}

bool parseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    bool hasValue = i + 1 < argc;
    if ((std::strcmp(argv[i], "-c") == 0 || std::strcmp(argv[i], "--config") == 0) && hasValue) {
      options.configPath = argv[++i];
      options.configGiven = true;
    } else if (std::strcmp(argv[i], "--worker") == 0 && hasValue) {
      options.workerPath = argv[++i];
    } else if (std::strcmp(argv[i], "--job-user") == 0 && hasValue) {
      options.jobUser = argv[++i];
    } else if (std::strcmp(argv[i], "--stop-grace") == 0 && hasValue) {
      checker::Result<checker::Milliseconds> grace = checker::parseDuration(argv[++i]);
      if (!grace) {
        std::fprintf(stderr, "checkerd: --stop-grace: %s\n", grace.error().c_str());
        return false;
      }
      options.stopGraceMs = static_cast<uint32_t>(grace->count());
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  checker::log::setProgram("checkerd");
  // Read (and removed from the environment) before any child is started.
  checker::SystemdNotifier systemd = checker::SystemdNotifier::fromEnvironment();
  Options options;
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("checkerd %s\n", CHECKER_VERSION);
    return 0;
  }
  if (!parseArgs(argc, argv, options)) {
    usage(stderr);
    return kExitUsage;
  }
  if (!options.configGiven && ::access(options.configPath.c_str(), F_OK) != 0 && errno == ENOENT) {
    std::fprintf(stderr, "checkerd: missing -c FILE (the config; there is none at %s)\n", options.configPath.c_str());
    return kExitUsage;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a worker that closed its pipe must not kill us
  if (options.workerPath.empty()) options.workerPath = checker::defaultWorkerPath();
  checker::JobUser jobUser = checker::JobUser::byDefault();
  if (!options.jobUser.empty()) {
    checker::Result<checker::JobUser> named = checker::JobUser::lookup(options.jobUser);
    if (!named) {
      CHECKER_LOG_ERROR("--job-user: %s; not starting", named.error().c_str());
      return kExitUsage;
    }
    jobUser = std::move(*named);
  }
  if (!jobUser.drop) {
    CHECKER_LOG_WARN("not root: jobs run as %d without namespaces of their own (no private /tmp, read-only "
                     "file system or pid isolation; capabilities fail)", static_cast<int>(::geteuid()));
  }
  checker::LoadedConfig loaded = checker::loadJobs(options.configPath, {options.workerPath, jobUser});
  for (const std::string& w : loaded.warnings) CHECKER_LOG_WARN("%s", w.c_str());
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) CHECKER_LOG_ERROR("%s", e.c_str());
    CHECKER_LOG_ERROR("config %s has %zu error(s); not starting", options.configPath.c_str(), loaded.errors.size());
    return kExitUsage;
  }
  // The raw job sections are planned into jobs now; only the jobs are kept.
  loaded.config.jobs.clear();
  loaded.config.jobs.shrink_to_fit();
  if (!loaded.config.general.logFile.empty()) {
    if (checker::Result<> logFile = checker::log::setLogFile(loaded.config.general.logFile); !logFile) {
      CHECKER_LOG_ERROR("logfile: %s; logging to stderr", logFile.error().c_str());
    }
  }
  try {
    checker::StateStore store = checker::StateStore::openForWriting(loaded.config.general.stateDir);
    uv_loop_t* loop = uv_default_loop();
    checker::SupervisorOptions supervisorOptions;
    supervisorOptions.workerPath = options.workerPath;
    supervisorOptions.mailerPath = checker::defaultMailerPath();
    supervisorOptions.peerdPath = checker::defaultPeerdPath();
    supervisorOptions.stopGraceMs = options.stopGraceMs;
    supervisorOptions.jobUser = jobUser;
    supervisorOptions.systemd = systemd;
    checker::PluginDescriber describer{options.workerPath, jobUser};
    supervisorOptions.reloadConfig = [path = options.configPath, describer] {
      checker::LoadedConfig again = checker::loadJobs(path, describer);
      again.config.jobs.clear();
      return again;
    };
    checker::Supervisor supervisor(loop, loaded.config, std::move(loaded.jobs), store, supervisorOptions);
    CHECKER_LOG_INFO("starting: config %s, state %s", options.configPath.c_str(),
                     loaded.config.general.stateDir.c_str());
    supervisor.start();
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
  } catch (const std::exception& e) {
    CHECKER_LOG_ERROR("cannot run: %s", e.what());
    return kExitTemporary;
  }
  return 0;
}
