#pragma once
// The job types that are checker's own network code (tcp, http, tls_cert):
// they never fork, exec or write a file, so a run of one is one process in
// the launcher's shared read-only namespace (worker/run_namespaces.h). Those
// that need checker-net-jobs.so (libcurl, OpenSSL) are forked from the
// launcher's net zygote, which has it loaded (worker/net_zygote.h):
// checkerd asks for such a start (ipc/launcher.capnp startNet). A network
// type added later that keeps to the same rules goes here. Header-only: the
// worker and checkerd both decide by it.
#include <string_view>

namespace checker {

inline bool isBuiltInNetworkType(std::string_view type) {
  return type == "tcp" || type == "http" || type == "tls_cert";
}

inline bool needsNetJobsModule(std::string_view type) { return type == "http" || type == "tls_cert"; }

}  // namespace checker
