#pragma once
// The worker launcher: a long-lived checker-worker that checkerd starts
// once, and that forks a fresh worker for every run it is asked for.
//
// Why: an exec per run costs ~2 ms of CPU in the kernel and the loader
// (BENCHMARKS.md); a fork of this small, already-initialised process costs
// a fraction of that. Every run still gets a process of its own, which
// goes through the whole one-run path (worker/one_request.h): own session,
// death signal, the full sandbox, then the job. Nothing of one run is in
// the launcher: the run's request and reply travel over pipes the
// supervisor made and hands over with the `start` message, and the
// launcher only forks, kills and reaps (ipc/launcher.capnp).
//
// What the launcher does for the supervisor:
//   start RUN (+ 3 fds)  fork; the child makes them its stdin, stdout and
//                        stderr and serves one request; answers `started`
//                        with the pid, or `notStarted` with why
//   kill RUN             SIGKILL the run's process group (and its worker)
//   a worker exited      SIGKILL its process group while the worker is
//                        still a zombie (so the group's id cannot have been
//                        reused), reap it, answer `exited`
//   end of the socket    SIGKILL every run still going, reap, exit 0
//
// A run's worker is usually the spare: a child forked ahead of time that
// has armed its death signal, made its own session and reset its signals,
// and waits on a socket of its own for a run's descriptors. Handing them
// over takes that work off the run's path; a new spare is forked while the
// run goes. A spare knows nothing of any run before it gets one.
//
// Before serving, it loads libchecker_job_api.so (and with it libstdc++.so),
// which every plugin needs; plugins themselves are only ever opened in the
// forked worker, inside the sandbox.
#include <sys/types.h>

namespace checker::worker {

// The control socket is passed to the launcher as this descriptor.
inline constexpr int kLauncherControlFd = 3;

// Serves until the control socket ends or the supervisor PARENT dies.
// Returns the exit code.
int runLauncher(int controlFd, pid_t parent);

}  // namespace checker::worker
