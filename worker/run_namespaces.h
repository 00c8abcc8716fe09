#pragma once
// A run's own pid and mount namespaces (docs/architecture.md, "One job run").
//
// The process tree of an isolated exec or plugin run:
//
//   launcher (or the exec'd worker, which stays outside as a relay)
//     `- init: pid 1 of the run's pid namespace, in its mount namespace;
//        mounts the scaffolding, reaps orphans, reports the worker's end
//          `- worker: pid 2; applies the sandbox and runs the job
//
// Such a job is never pid 1: the kernel ignores signals a namespace's init
// has no handler for (a job's own abort() or SIGXCPU would not kill it).
// When init exits, the kernel kills whatever is left in the namespace, and
// the mount namespace with its scratch tmpfs goes with the last process.
//
// A run of a built-in network type (tcp, http, tls_cert: our own code,
// which never forks, execs or writes a file) from the launcher is one
// process: pid 1 of a pid namespace of its own, and in one mount namespace
// the launcher prepared once (prepareSharedNamespace) that every such run
// joins: the whole tree read-only (/tmp the machine's), /var/tmp, /dev/shm
// and /proc empty read-only tmpfs. No scratch, no per-run mounts, no second process.
//
// The launcher keeps spares of both kinds ready (checkerd says which a run
// needs, by its type: worker_runs/builtin_network_types.h). A one-process
// spare given an exec or plugin run anyway (the net zygote is gone, say)
// settles it once the request is read (settleRunNamespaces): the same
// namespaces, scratch and init, made on the run's path.
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
  // A spare the launcher cloned into a pid namespace alone: the run's type
  // settles the rest (settleRunNamespaces).
  bool unsettled = false;
  int statusChannel = -1;    // unsettled: where an init reports the worker's end
  int sharedNamespace = -1;  // the launcher's prepared mount namespace (an nsfs fd), or -1
  bool joinShared = false;   // the namespaces step joins sharedNamespace instead of scratch and mounts
};
Isolation& isolation();

// clone(2) into new pid and mount namespaces; returns as fork() does.
pid_t cloneIntoNamespaces();
// clone(2) into a new pid namespace only.
pid_t cloneIntoPidNamespace();

// In the launcher, once: a mount namespace with everything read-only and
// /var/tmp, /dev/shm, /proc empty read-only tmpfs; the calling
// process stays in its own. An nsfs descriptor (O_CLOEXEC) for setns(2).
Result<int> prepareSharedNamespace();

// In an unsettled spare (pid 1 of its pid namespace) with the request
// read: a built-in network type with no writable_paths stays one process
// and is marked to join the shared namespace (when isolated and there is
// one); any other run gets today's: with ISOLATE a mount namespace and
// its scaffolding, then a fork: this process becomes init and never
// returns, the worker (pid 2) returns. No-op in any other process.
void settleRunNamespaces(const std::string& type, bool isolate, bool hasWritablePaths);

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
