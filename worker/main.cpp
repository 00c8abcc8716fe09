// checker-worker: one job run in a sandbox (docs/architecture.md, "Worker
// sandbox"). Started by checkerd with one framed WorkerRequest on stdin; it
// writes one framed WorkerReply on stdout and exits. stderr is the run's log.
//
// The fixed order of what happens before any job code runs:
//   1. die with the supervisor (PR_SET_PDEATHSIG), and exit if it already died
//   2. its own session and process group
//   3. read exactly one request (bad: exit 101, one line on stderr, no reply)
//   4. the sandbox steps of worker/sandbox.h: fds, cgroup, environment,
//      privileges, no_new_privs, rlimits
//   5. answer the request, write the reply, exit 0
// Usage: checker-worker [--parent-pid=PID]   (PID: the supervisor's; see
// worker/process_setup.h)
#include <capnp/message.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/log.h"
#include "worker/handlers.h"
#include "worker/process_setup.h"
#include "worker/reply.h"
#include "worker/request.h"

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
  pid_t parent = ::getppid();
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::puts("checker-worker " CHECKER_VERSION);
    return kExitOk;
  }
  checker::log::setProgram("checker-worker");
  if (argc > 2 || (argc == 2 && parseParentPid(argv[1]) < 0)) {
    CHECKER_LOG_ERROR("usage: checker-worker [--parent-pid=PID]");
    return kExitBadUsage;
  }
  if (argc == 2) parent = static_cast<pid_t>(parseParentPid(argv[1]));

  watchParent(parent);
  std::string sessionError;
  ensureOwnSession(&sessionError);
  resetInheritedSignals();

  std::string error;
  auto message = readRequest(STDIN_FILENO, &error);
  if (!message) {
    CHECKER_LOG_ERROR("bad request: %s", error.c_str());
    return kExitBadRequest;
  }
  auto request = message->root<checker::ipc::WorkerRequest>();

  capnp::MallocMessageBuilder replyMessage;
  auto reply = replyMessage.initRoot<checker::ipc::WorkerReply>();
  if (request.isRun()) {
    handleRun(request.getRun(), sessionError, reply);
  } else {
    handleDescribe(request.getDescribe(), sessionError, reply);
  }
  if (!writeReply(STDOUT_FILENO, replyMessage, &error)) {
    CHECKER_LOG_ERROR("writing the reply: %s", error.c_str());
    return kExitParentGone;
  }
  return kExitOk;
}
