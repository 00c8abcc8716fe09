#include "worker_runs/probe_request.h"

#include <capnp/message.h>

#include "ipc/framing.h"
#include "ipc/job.capnp.h"

namespace checker {

JobLimits probeWorkerLimits() {
  JobLimits limits;
  limits.cpuSeconds = 0;
  limits.openFiles = 2 * kProbesInFlight + 64;  // a socket each, a lookup's pipe, the worker's own
  return limits;
}

std::string buildProbeSessionRequest(const SandboxPlan& plan, uint32_t maxInFlight) {
  capnp::MallocMessageBuilder message;
  auto session = message.initRoot<ipc::WorkerRequest>().initProbes();
  JobLimits limits = probeWorkerLimits();
  auto out = session.initLimits();
  out.setTimeoutMs(0);
  out.setCpuSeconds(limits.cpuSeconds);
  out.setMemoryBytes(plan.memoryByCgroup ? 0 : limits.memoryBytes);
  out.setOpenFiles(limits.openFiles);
  out.setProcesses(limits.processes);
  out.setFileSizeBytes(limits.fileSizeBytes);
  auto sandbox = session.initSandbox();
  fillSandbox(sandbox, plan);
  sandbox.setKeepStdin(true);
  session.setMaxInFlight(maxInFlight);
  return ipc::encode(message);
}

std::string buildProbeRequest(const JobDefinition& job, uint64_t probeId, const std::string& serverName,
                              int64_t deadlineUnixMs) {
  capnp::MallocMessageBuilder message(128);  // one probe: no 8 KiB first segment to zero
  auto probe = message.initRoot<ipc::ProbeRequest>();
  probe.setProbeId(probeId);
  auto request = probe.initRun();
  request.setJobId(job.id());
  request.setJobName(job.name());
  request.setType(job.type());
  WorkerParams params = job.params();
  fillParams(request.initParams(static_cast<unsigned>(params.size())), params);
  request.getLimits().setTimeoutMs(static_cast<uint32_t>(job.limits().timeout.count()));
  request.setDeadlineUnixMs(deadlineUnixMs);
  request.setServerName(serverName);
  return ipc::encode(message);
}

}  // namespace checker
