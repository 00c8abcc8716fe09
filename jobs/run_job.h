#pragma once
// One job run, as the worker performs it: make the job, time execute(),
// collect the notices it composes. Nothing a job throws gets past runJob.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job_base.h"

namespace checker {

struct JobRunOutcome {
  bool ok = false;
  std::string message;  // the success or failure message
  std::string details;
  uint32_t durationMs = 0;                    // of execute()
  int signal = 0;                 // the job's own process was killed by this signal
  bool deadlineExceeded = false;  // the job gave up at the run's deadline
  int64_t latencyUs = -1;         // the probe's own latency (JobBase::reportLatency);
                                  // a plugin's execute() when it reported none; -1: none
  std::vector<JobMeasurement> measurements;  // JobBase::reportMeasurement
  std::optional<JobNotice> failureNotice;     // onFailure(), when the run failed
  std::optional<JobNotice> recoveryNotice;    // onStateChangeSuccess(), when it succeeded;
                                              // the supervisor's policy decides whether either is sent
};

// Runs job TYPE (built in, registered, or a plugin in PLUGINDIR). An unknown
// type or a plugin that does not load is a failed run saying why; an
// exception from the job is a failed run "job threw: what()".
// Sets SIGPIPE to ignored for the rest of the process (a worker runs one
// job): a peer that closes early is an EPIPE error for the job to report,
// not the death of the worker. Programs the exec job runs get it back at
// its default.
JobRunOutcome runJob(const std::string& type, const JobParams& params, const JobRunContext& context,
                     const std::string& pluginDir);

}  // namespace checker
