#include "worker/process_setup.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "common/log.h"
#include "common/sys_error.h"
#include "process/death_signal.h"

namespace checker::worker {
namespace {

pid_t g_expectedParent = 0;
// Set once watchParent ran: the expected parent may be 0 (pid 1 of a pid
// namespace sees its parent, outside, as 0).
bool g_watching = false;

void armDeathSignalOrExit() {
  if (armDeathSignal(g_expectedParent)) return;
  pid_t parent = ::getppid();
  if (parent == g_expectedParent) {
    // prctl failed (cannot happen with these arguments); without it nothing
    // would stop us outliving the supervisor, so do not run at all.
    CHECKER_LOG_ERROR("%s", describeErrno("prctl", "PR_SET_PDEATHSIG", errno).c_str());
  } else {
    CHECKER_LOG_ERROR("supervisor %d is gone (parent is now %d): exiting", static_cast<int>(g_expectedParent),
                      static_cast<int>(parent));
  }
  ::_exit(kExitParentGone);
}

}  // namespace

void watchParent(pid_t expected) {
  g_expectedParent = expected;
  g_watching = true;
  armDeathSignalOrExit();
}

void watchParentAgain() {
  if (g_watching) armDeathSignalOrExit();
}

Result<> ensureOwnSession() {
  if (::getsid(0) == ::getpid()) return {};
  if (::setsid() < 0) return Error{describeErrno("setsid", "", errno)};
  return {};
}

void resetInheritedSignals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) != 0) continue;  // invalid or reserved numbers
    if (current.sa_handler == SIG_IGN) ::signal(sig, SIG_DFL);
  }
}

}  // namespace checker::worker
