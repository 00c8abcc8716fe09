#pragma once
// The launcher's net zygote: a child of the launcher that loaded
// checker-net-jobs.so (libcurl, OpenSSL and ~35 more libraries) and ran
// curl_global_init once, and forks the spares for runs of the types that
// need it (http, tls_cert: worker_runs/builtin_network_types.h) on the
// launcher's request.
//
// Why a process of its own: loading the module costs ~10 ms of CPU, ten
// times a whole run, so an http or tls_cert worker must find it loaded;
// but in the launcher itself its ~200 more mappings made every fork and
// exit dearer, exec and plugin runs (two processes each) by about half
// (BENCHMARKS.md), a tcp run's too. Only http and tls_cert runs are forked
// from here.
//
// Each spare is cloned with CLONE_PARENT (and CLONE_NEWPID when the
// launcher isolates): it is the launcher's child, reaped, killed and
// reported as any spare; the zygote only answers with its pid and the
// launcher's end of the spare's channel. The zygote ends when its channel
// to the launcher does (and with the launcher: its death signal).
#include <sys/types.h>

#include "common/result.h"
#include "common/unique_fd.h"

namespace checker::worker {

// A spare as the launcher holds it.
struct ForkedSpare {
  pid_t pid = 0;
  UniqueFd channel;  // where the run's descriptors are sent
};

class NetZygote {
 public:
  // The launcher's side, called in the processes forked: IN_ZYGOTE once in
  // the zygote (drop what is the launcher's alone), BECOME_SPARE in each
  // spare (never returns). CONTEXT is passed through.
  struct Hooks {
    void (*inZygote)(void* context);
    void (*becomeSpare)(void* context, UniqueFd channel);
    void* context;
  };

  // Forks the zygote (in the launcher). An Error when it cannot be forked.
  // PID_NAMESPACE: each spare is pid 1 of a pid namespace of its own.
  static Result<NetZygote> start(Hooks hooks, bool pidNamespace);

  NetZygote() = default;
  NetZygote(NetZygote&&) = default;
  NetZygote& operator=(NetZygote&&) = default;

  bool running() const { return channel_.valid(); }
  pid_t pid() const { return pid_; }
  // Blocking (a clone's time): one spare, or why not.
  Result<ForkedSpare> makeSpare();
  // The zygote died (reaped by the launcher): no more spares from it.
  void lost() { channel_.reset(); }

 private:
  pid_t pid_ = 0;
  UniqueFd channel_;  // the launcher's end
};

}  // namespace checker::worker
