// checker: the operator's command line. Usage: checker COMMAND [-c FILE] ...
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace {

using checker::cli::CommonOptions;

struct Command {
  const char* name;
  int (*run)(const CommonOptions&);
  const char* summary;
};

const Command kCommands[] = {
    {"check-config", checker::cli::checkConfig, "validate the config; print one line per job it would run"},
    {"run-job", checker::cli::runJob, "NAME [--json]: run a job once, sandboxed as checkerd would; no state change"},
    {"status", checker::cli::status, "[--json]: every job's state, read while checkerd runs"},
    {"reload", checker::cli::reload, "ask the running checkerd to re-read its config (as SIGHUP); print what changed"},
    {"peers", checker::cli::peers, "[--json]: ask every peer now and print each answer (nothing recorded)"},
    {"test-email", checker::cli::testEmail, "[--to ADDRESS]: send one test message through the mailer; print the server's answer"},
};

void printUsage(FILE* out) {
  std::fprintf(out, "usage: checker COMMAND [-c FILE] [options]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out, "\noptions:\n  -c, --config FILE  the config file (default %s)\n", checker::cli::kDefaultConfigPath);
  std::fprintf(out, "\nexit codes: 0 ok, 1 unhealthy or failed, 2 bad usage or bad config\n");
}

// Parses the options every command shares; the rest stay for the command.
bool parseCommon(int argc, char** argv, CommonOptions& options) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-c" || arg == "--config") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "checker: %s needs a file\n", arg.c_str());
        return false;
      }
      options.configPath = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      options.configPath = arg.substr(9);
    } else {
      options.rest.push_back(arg);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // commands talk to workers over pipes
  if (argc < 2) {
    printUsage(stderr);
    return checker::cli::kExitUsage;
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    printUsage(stdout);
    return checker::cli::kExitOk;
  }
  if (name == "--version") {
    std::printf("checker %s\n", CHECKER_VERSION);
    return checker::cli::kExitOk;
  }
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    CommonOptions options;
    if (!parseCommon(argc, argv, options)) return checker::cli::kExitUsage;
    return c.run(options);
  }
  std::fprintf(stderr, "checker: unknown command '%s'\n\n", name.c_str());
  printUsage(stderr);
  return checker::cli::kExitUsage;
}
