#pragma once
// Dying with the parent: every process checker starts below checkerd (the
// worker launcher and each worker, checker-mailer, checker-peerd, a job's
// command) asks the kernel for SIGKILL when its parent ends, then checks
// that the parent is still the one that started it: it may have died
// before the death signal was armed, and then nothing would ever come.
// Header-only and async-signal-safe (prctl, getppid): usable between fork
// and exec, and in the statically linked worker without the process library.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

namespace checker {

// Arms the death signal (SIGKILL). Used where the parent check is made
// otherwise (the init of a run's namespaces watches its channel).
inline bool armDeathSignal() { return ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0; }

// Arms the death signal; true when it is armed and EXPECTED is still the
// parent. False means: exit now, nobody is left to serve.
[[nodiscard]] inline bool armDeathSignal(pid_t expectedParent) {
  return armDeathSignal() && ::getppid() == expectedParent;
}

}  // namespace checker
