// checker-worker: one job run in a sandbox (docs/architecture.md, "Worker
// sandbox"), in one of two ways:
//
//   checker-worker [--parent-pid=PID]
//       one run: one framed WorkerRequest on stdin, one framed WorkerReply
//       on stdout, then exit (worker/one_request.h). `checker run-job` and
//       plugin expansion start it so, once per run.
//   checker-worker --launcher --parent-pid=PID
//       the launcher checkerd keeps running: it forks a fresh worker per run
//       on the supervisor's request, over the socket on fd 3
//       (worker/launcher.h). Each forked worker goes through exactly the
//       one-run path above.
//
// PID is the supervisor's: the worker checks it is still its parent after
// arming PR_SET_PDEATHSIG (worker/process_setup.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/log.h"
#include "worker/launcher.h"
#include "worker/one_request.h"
#include "worker/process_setup.h"

namespace {

// PID from "--parent-pid=PID"; -1 for anything else (or a PID that is not positive).
long parseParentPid(std::string_view argument) {
  constexpr std::string_view kFlag = "--parent-pid=";
  if (argument.substr(0, kFlag.size()) != kFlag) return -1;
  std::string digits(argument.substr(kFlag.size()));
  char* end = nullptr;
  long pid = std::strtol(digits.c_str(), &end, 10);
  return (digits.empty() || *end != '\0' || pid <= 0) ? -1 : pid;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace checker::worker;
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::puts("checker-worker " CHECKER_VERSION);
    return checker::kExitOk;
  }
  checker::log::setProgram("checker-worker");
  bool launcher = argc == 3 && std::strcmp(argv[1], "--launcher") == 0;
  const char* pidArgument = launcher ? argv[2] : (argc == 2 ? argv[1] : nullptr);
  long parent = pidArgument ? parseParentPid(pidArgument) : ::getppid();
  if ((!launcher && argc > 2) || parent < 0) {
    CHECKER_LOG_ERROR("usage: checker-worker [--parent-pid=PID] | --launcher --parent-pid=PID");
    return checker::kExitBadInvocation;
  }
  if (launcher) return runLauncher(kLauncherControlFd, static_cast<pid_t>(parent));
  return serveOneRequest(static_cast<pid_t>(parent));
}
