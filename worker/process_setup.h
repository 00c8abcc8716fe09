#pragma once
// The worker's process life before the sandbox: dying with the supervisor,
// its own session, the signal state it starts the job with, and what its
// exit codes mean.
//
// Its exit codes (process/exit_codes.h; a supervisor that sees one knows
// what happened even without a reply): kExitOk a reply was written,
// kExitBadInvocation (100) an unknown command-line argument,
// kExitBadRequest (101) nothing or garbage on stdin, kExitParentGone (111)
// the supervisor is gone, or the reply could not be written.
#include <sys/types.h>

#include <string>

#include "common/result.h"
#include "process/exit_codes.h"

namespace checker::worker {

// PR_SET_PDEATHSIG = SIGKILL, then re-checks that the parent is still
// EXPECTED (the supervisor may have died before the death signal was
// armed). Exits with kExitParentGone when it is not; returns otherwise.
// The supervisor passes its pid with --parent-pid=PID so that no window is
// left at all; without it, EXPECTED is the parent seen first thing in main.
void watchParent(pid_t expected);

// A change of euid/egid/fsuid/fsgid clears the death signal (prctl(2)):
// arms it again after the privilege drop, with the same re-check (exits
// with kExitParentGone when the supervisor died meanwhile).
void watchParentAgain();

// Its own session and process group, so that the supervisor can kill the
// whole run with one kill(-pid). uv_spawn(UV_PROCESS_DETACHED) already did
// it; this covers any other starter. An Error when setsid() fails (the
// caller fails the run: a sandbox mechanism).
Result<> ensureOwnSession();

// Unblocks every signal and resets ignored ones to their default: the job
// must not inherit a blocked SIGTERM or an ignored SIGPIPE from a starter.
// Handlers already installed in this process (a sanitizer's) stay.
void resetInheritedSignals();

}  // namespace checker::worker
