#pragma once
// Builds the framed WorkerRequest for one run of a job.
#include <cstdint>
#include <string>
#include <vector>

#include "ipc/job.capnp.h"
#include "config/job_catalog.h"
#include "worker_runs/job_user.h"

namespace checker {

// The worker is told the run's deadline; the supervisor kills the process
// group this much later. A job that honours its deadline reports "gave up at
// the deadline" itself (with what it was doing); one that does not is
// killed. Both are `timed_out`.
inline constexpr uint32_t kSupervisorDeadlineGraceMs = 1000;

struct SandboxPlan {
  std::string workDir;                  // an empty directory
  std::vector<std::string> cgroupDirs;  // the run's cgroups, if any
  bool dropPrivileges = false;
  uint32_t runUid = 65534;
  uint32_t runGid = 65534;
  bool useNprocLimit = false;           // no pids cgroup for this run
  bool memoryByCgroup = false;          // memory is limited by the cgroup
  // Own pid and mount namespaces, private scratch, read-only file system:
  // whenever the worker is root (it needs CAP_SYS_ADMIN to make them), so
  // exactly when privileges are dropped. See docs/architecture.md.
  bool isolate = false;
  uint64_t scratchBytes = 64ull << 20;
  std::vector<std::string> writablePaths;
  std::vector<std::string> capabilities;  // ambient, e.g. "net_raw"
};

class RunCgroups;

// The sandbox of run RUN_ID: per-run cgroups where the machine offers them
// (a failure to create them fails the run: the worker is sent a cgroup that
// does not exist), else rlimits with RLIMIT_NPROC for the dropped user; the
// worker drops to USER when user.drop.
SandboxPlan planSandbox(RunCgroups* cgroups, const JobDefinition& job, uint64_t runId, const std::string& workDir,
                        const JobUser& user);

std::string buildRunRequest(const JobDefinition& job, const std::string& serverName, const std::string& pluginDir,
                            int64_t deadlineUnixMs, const SandboxPlan& sandbox);

// The parts a run request and a describe request share.
void fillParams(capnp::List<ipc::Param>::Builder out, const WorkerParams& params);
void fillLimits(ipc::Limits::Builder out, const JobDefinition& job, const SandboxPlan& plan);
void fillSandbox(ipc::Sandbox::Builder out, const SandboxPlan& plan);

}  // namespace checker
