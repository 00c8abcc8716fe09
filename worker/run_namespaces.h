#pragma once
// A run's own pid and mount namespaces (docs/architecture.md, "One job run").
//
// The process tree of an isolated run:
//
//   launcher (or the exec'd worker, which stays outside as a relay)
//     `- init: pid 1 of the run's pid namespace, in its mount namespace;
//        mounts the scaffolding, reaps orphans, reports the worker's end
//          `- worker: pid 2; applies the sandbox and runs the job
//
// The job is never pid 1: the kernel ignores signals a namespace's init has
// no handler for (a job's own abort() or SIGXCPU would not kill it). When
// init exits, the kernel kills whatever is left in the namespace, and the
// mount namespace with its scratch tmpfs goes with the last process.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace checker::worker {

inline constexpr uint64_t kDefaultScratchBytes = 64ull << 20;
inline constexpr const char* kScratchDirs[] = {"/tmp", "/var/tmp", "/dev/shm"};

// What this process knows of its namespaces: inside is set in the worker
// (pid 2) by whoever made them; scaffolding is how mounting it went (a run
// that asks for isolation fails with its error).
struct Isolation {
  bool inside = false;
  Result<> scaffolding;
};
Isolation& isolation();

// clone(2) into new pid and mount namespaces; returns as fork() does.
pid_t cloneIntoNamespaces();

// In the namespaces' init: private mount propagation, a /proc of this pid
// namespace, one scratch tmpfs (kDefaultScratchBytes) on /tmp, /var/tmp and
// /dev/shm. An Error "call(argument): errno text" when a step fails.
Result<> mountScaffolding();

// Init's loop: reaps every process of the namespace until WORKER ends, then
// sends its wait status (an int) on STATUS_FD when >= 0, and exits 0.
[[noreturn]] void serveAsInit(pid_t worker, int statusFd);

// The exec'd worker's way in (checker run-job, plugin describe, tests):
// unshare, fork init, which forks the worker. Returns true in the worker;
// the calling process stays outside, waits, and ends as the worker ended
// (its exit code, or the same signal). An Error if nothing forked.
Result<> isolateThisProcess();

}  // namespace checker::worker
