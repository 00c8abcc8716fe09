#pragma once
// The `checker` command's subcommands. Each returns the process exit code
// (see README.md, "Exit codes"; process/exit_codes.h).
#include <string>
#include <vector>

#include "process/exit_codes.h"

namespace checker::cli {

inline constexpr const char* kDefaultConfigPath = "/etc/checker/settings.cfg";

// The codes `checker` returns (process/exit_codes.h holds every program's).
using checker::ExitCode;
using checker::kExitDaemonDown;
using checker::kExitOk;
using checker::kExitTemporary;
using checker::kExitUnhealthy;
using checker::kExitUsage;

struct CommonOptions {
  std::string configPath = kDefaultConfigPath;
  bool configGiven = false;       // -c or --config was on the command line
  std::vector<std::string> rest;  // arguments the subcommand reads itself
};

int checkConfig(const CommonOptions& options);
int runJob(const CommonOptions& options);
int status(const CommonOptions& options);
int history(const CommonOptions& options);
int peers(const CommonOptions& options);
int reload(const CommonOptions& options);
int testEmail(const CommonOptions& options);
int testChannel(const CommonOptions& options);
int silence(const CommonOptions& options);
int silences(const CommonOptions& options);
int unsilence(const CommonOptions& options);
int confirm(const CommonOptions& options);
int importState(const CommonOptions& options);
int hashPasswordCommand(const CommonOptions& options);

}  // namespace checker::cli
