#pragma once
// Runs a command line through the shell and captures what it printed
// (stdout and stderr together) and its exit code, as an operator sees it.
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace checker::test {

struct CommandResult {
  int exitCode = -1;  // -1: did not exit normally
  std::string output;
};

inline CommandResult runCommand(const std::string& commandLine) {
  CommandResult result;
  FILE* pipe = ::popen((commandLine + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace checker::test
