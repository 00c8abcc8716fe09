// Sandbox step "rlimits": the per-job resource limits, applied last.
//
//   limit          resource       soft / hard
//   cpuSeconds     RLIMIT_CPU     N / N+1: SIGXCPU first, SIGKILL a second later
//   memoryBytes    RLIMIT_AS      N / N  (the supervisor sends 0 when a memory
//                                 cgroup limits the run instead)
//   openFiles      RLIMIT_NOFILE  N / N
//   fileSizeBytes  RLIMIT_FSIZE   N / N
//   (always)       RLIMIT_CORE    0 / 0: no core files
//   processes      RLIMIT_NPROC   N / N, only with sandbox.useNprocLimit (no
//                                 pids cgroup); it counts every process of
//                                 the uid, and does not bind root
// A limit of 0 leaves that resource as inherited. Hard limits are set too,
// so the job cannot raise them back; asking for more than the inherited hard
// limit fails the run (an unprivileged worker cannot raise it).
#include <sys/resource.h>

#include <cerrno>
#include <string>

#include "common/sys_error.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

Result<> setLimit(int resource, const char* name, rlim_t soft, rlim_t hard) {
  rlimit limit{soft, hard};
  if (::setrlimit(resource, &limit) == 0) return {};
  int err = errno;
  std::string argument = std::string(name) + ", " + std::to_string(soft);
  if (hard != soft) argument += "/" + std::to_string(hard);
  return Error{describeErrno("setrlimit", argument, err)};
}

}  // namespace

Result<> applyRlimits(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits) {
  if (rlim_t cpu = limits.getCpuSeconds(); cpu != 0) {
    if (Result<> step = setLimit(RLIMIT_CPU, "RLIMIT_CPU", cpu, cpu + 1); !step) return step;
  }
  if (rlim_t bytes = limits.getMemoryBytes(); bytes != 0) {
    if (Result<> step = setLimit(RLIMIT_AS, "RLIMIT_AS", bytes, bytes); !step) return step;
  }
  if (rlim_t files = limits.getOpenFiles(); files != 0) {
    if (Result<> step = setLimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", files, files); !step) return step;
  }
  if (rlim_t bytes = limits.getFileSizeBytes(); bytes != 0) {
    if (Result<> step = setLimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", bytes, bytes); !step) return step;
  }
  if (Result<> step = setLimit(RLIMIT_CORE, "RLIMIT_CORE", 0, 0); !step) return step;
  if (rlim_t processes = limits.getProcesses(); processes != 0 && sandbox.getUseNprocLimit()) {
    if (Result<> step = setLimit(RLIMIT_NPROC, "RLIMIT_NPROC", processes, processes); !step) return step;
  }
  return {};
}

}  // namespace checker::worker
