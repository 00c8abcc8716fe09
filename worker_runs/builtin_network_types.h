#pragma once
// The job types that are checker's own network code (tcp, http, tls_cert):
// they never fork, exec or write a file, so a run of one is one process in
// the launcher's shared read-only namespace (worker/run_namespaces.h). Those
// that need checker-net-jobs.so (libcurl, OpenSSL) are forked from the
// launcher's net zygote, which has it loaded (worker/net_zygote.h). checkerd
// says which spare a run needs (ipc/launcher.capnp: start, startBuiltIn,
// startNet). A network type added later that keeps to the same rules goes
// here (the list itself is config/job_catalog.h's isProbeType: the same
// types may be batched). Header-only: the worker and checkerd both decide by it.
#include <string_view>

#include "config/job_catalog.h"

namespace checker {

inline bool isBuiltInNetworkType(std::string_view type) { return isProbeType(type); }

inline bool needsNetJobsModule(std::string_view type) { return type == "http" || type == "tls_cert"; }

// The launcher's spare a run of TYPE is handed to.
enum class SpareKind {
  isolated,  // exec, plugin: init and worker in namespaces and scratch of the run's own, made ahead
  builtIn,   // tcp: one process, forked from the launcher
  net,       // http, tls_cert: one process, forked from the net zygote
};

inline SpareKind spareKindFor(std::string_view type) {
  if (needsNetJobsModule(type)) return SpareKind::net;
  return isBuiltInNetworkType(type) ? SpareKind::builtIn : SpareKind::isolated;
}

}  // namespace checker
