#pragma once
// The common start of a long-lived helper child of checkerd (checker-mailer,
// checker-peerd), started as
//   PROGRAM -c FILE --parent-pid=PID      (control socket on fd 3)
// Handles --version and bad usage, dies with the supervisor
// (PR_SET_PDEATHSIG; exits at once if it is already gone), ignores SIGPIPE
// and reads the config itself, so no password or secret travels over IPC.
#include <optional>

#include "config/config.h"
#include "process/exit_codes.h"

namespace checker::ipc {

inline constexpr int kChildControlFd = 3;

// A helper child exits 0 when the supervisor closed the socket, kExitUsage
// on a bad config, kExitBadInvocation on a bad command line,
// kExitParentGone when checkerd is gone (process/exit_codes.h).

// The exit code to return now (--version, bad usage, a bad config, the
// supervisor gone); nothing when the child goes on, with *LOAD filled.
std::optional<int> beginHelperChild(int argc, char** argv, const char* program, ConfigLoad* load);

}  // namespace checker::ipc
