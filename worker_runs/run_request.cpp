#include "worker_runs/run_request.h"

#include <capnp/message.h>

#include "common/log.h"
#include "ipc/framing.h"
#include "ipc/job.capnp.h"
#include "worker_runs/run_cgroups.h"

namespace checker {

SandboxPlan planSandbox(RunCgroups* cgroups, const JobDefinition& job, uint64_t runId, const std::string& workDir,
                        const JobUser& user) {
  SandboxPlan plan;
  plan.workDir = workDir;
  plan.dropPrivileges = user.drop;
  plan.runUid = user.uid;
  plan.runGid = user.gid;
  plan.isolate = user.drop;
  plan.scratchBytes = job.sandbox().scratchBytes;
  plan.writablePaths = job.sandbox().writablePaths;
  plan.capabilities = job.sandbox().capabilities;
  if (cgroups == nullptr || cgroups->mode() == RunCgroups::Mode::none) {
    plan.useNprocLimit = user.drop;
    return plan;
  }
  Result<std::vector<std::string>> dirs = cgroups->createRun(runId, job.limits().processes, job.limits().memoryBytes);
  if (dirs) {
    plan.cgroupDirs = std::move(*dirs);
  } else {
    CHECKER_LOG_ERROR("job %s: could not create its run cgroup: %s", job.name().c_str(), dirs.error().c_str());
    plan.cgroupDirs.push_back("/nonexistent/run-cgroup-could-not-be-created");
  }
  plan.memoryByCgroup = true;
  return plan;
}

void fillParams(capnp::List<ipc::Param>::Builder out, const WorkerParams& params) {
  for (unsigned i = 0; i < params.size(); ++i) {
    out[i].setKey(params[i].first);
    out[i].setValue(params[i].second);
  }
}

void fillLimits(ipc::Limits::Builder limits, const JobDefinition& job, const SandboxPlan& plan) {
  const JobLimits& jobLimits = job.limits();
  limits.setTimeoutMs(static_cast<uint32_t>(jobLimits.timeout.count()));
  limits.setCpuSeconds(jobLimits.cpuSeconds);
  // With a memory cgroup the cgroup is the limit (and its OOM kill is how a
  // run is recognised as `limit`); RLIMIT_AS would fail allocations first.
  limits.setMemoryBytes(plan.memoryByCgroup ? 0 : jobLimits.memoryBytes);
  limits.setOpenFiles(jobLimits.openFiles);
  limits.setProcesses(jobLimits.processes);
  limits.setFileSizeBytes(jobLimits.fileSizeBytes);
}

void fillSandbox(ipc::Sandbox::Builder sandbox, const SandboxPlan& plan) {
  sandbox.setWorkDir(plan.workDir);
  auto dirs = sandbox.initCgroupDirs(static_cast<unsigned>(plan.cgroupDirs.size()));
  for (unsigned i = 0; i < plan.cgroupDirs.size(); ++i) dirs.set(i, plan.cgroupDirs[i]);
  sandbox.setDropPrivileges(plan.dropPrivileges);
  sandbox.setRunUid(plan.runUid);
  sandbox.setRunGid(plan.runGid);
  sandbox.setUseNprocLimit(plan.useNprocLimit);
  sandbox.setIsolate(plan.isolate);
  sandbox.setScratchBytes(plan.scratchBytes);
  auto paths = sandbox.initWritablePaths(static_cast<unsigned>(plan.writablePaths.size()));
  for (unsigned i = 0; i < plan.writablePaths.size(); ++i) paths.set(i, plan.writablePaths[i]);
  auto caps = sandbox.initCapabilities(static_cast<unsigned>(plan.capabilities.size()));
  for (unsigned i = 0; i < plan.capabilities.size(); ++i) caps.set(i, plan.capabilities[i]);
}

std::string buildRunRequest(const JobDefinition& job, const std::string& serverName, const std::string& pluginDir,
                            int64_t deadlineUnixMs, const SandboxPlan& plan) {
  capnp::MallocMessageBuilder message(256);  // a request is a few hundred bytes: no 8 KiB first segment to zero
  auto request = message.initRoot<ipc::WorkerRequest>().initRun();
  request.setJobId(job.id());
  request.setJobName(job.name());
  request.setType(job.type());
  WorkerParams params = job.params();
  fillParams(request.initParams(static_cast<unsigned>(params.size())), params);
  fillLimits(request.initLimits(), job, plan);
  request.setDeadlineUnixMs(deadlineUnixMs);
  request.setPluginDir(pluginDir);
  request.setServerName(serverName);
  fillSandbox(request.initSandbox(), plan);
  return ipc::encode(message);
}

}  // namespace checker
