#pragma once
// The `checker` command's subcommands. Each returns the process exit code
// (see README.md, "Exit codes").
#include <string>
#include <vector>

namespace checker::cli {

inline constexpr const char* kDefaultConfigPath = "/etc/checker/settings.cfg";

enum ExitCode : int {
  kExitOk = 0,
  kExitUnhealthy = 1,   // the thing asked about is not healthy, or the command failed
  kExitUsage = 2,       // bad usage or bad config: nothing was started
  kExitDaemonDown = 3,  // checker status: checkerd is not running, or its heartbeat is stale
  kExitTemporary = 111,  // e.g. the state is busy (checkerd has it open for writing)
};

struct CommonOptions {
  std::string configPath = kDefaultConfigPath;
  bool configGiven = false;       // -c or --config was on the command line
  std::vector<std::string> rest;  // arguments the subcommand reads itself
};

int checkConfig(const CommonOptions& options);
int runJob(const CommonOptions& options);
int status(const CommonOptions& options);
int peers(const CommonOptions& options);
int reload(const CommonOptions& options);
int testEmail(const CommonOptions& options);
int importState(const CommonOptions& options);

}  // namespace checker::cli
