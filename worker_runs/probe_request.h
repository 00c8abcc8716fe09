#pragma once
// The messages to a probe worker (isolation = batch; ipc/job.capnp): its
// session request, once, then one ProbeRequest per probe.
#include <cstdint>
#include <string>

#include "config/job_catalog.h"
#include "worker_runs/run_request.h"

namespace checker {

// Probes one probe worker may hold at once (each a fiber with a 128 KiB
// stack and a socket or two). Runs beyond it wait in the supervisor.
inline constexpr uint32_t kProbesInFlight = 2048;

// The limits of a probe worker: a job's defaults, but no CPU-time limit (it
// lives long; each probe is bounded by its own deadline) and open files for
// every probe in flight.
JobLimits probeWorkerLimits();

// The session request: the sandbox PLAN (made for probeWorkerLimits()).
std::string buildProbeSessionRequest(const SandboxPlan& plan, uint32_t maxInFlight);

// Probe PROBE_ID: a run of JOB (a built-in network type) with the deadline.
std::string buildProbeRequest(const JobDefinition& job, uint64_t probeId, const std::string& serverName,
                              int64_t deadlineUnixMs);

}  // namespace checker
