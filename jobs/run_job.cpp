#include "jobs/run_job.h"

#include <chrono>
#include <csignal>
#include <exception>
#include <functional>
#include <memory>

#include "jobs/job_registry.h"

namespace checker {
namespace {

// Calls F; returns "" or what it threw, worded for a message.
std::string catchAll(const std::function<void()>& f) {
  try {
    f();
    return "";
  } catch (const std::exception& e) {
    return std::string("job threw: ") + e.what();
  } catch (...) {
    return "job threw something that is not a std::exception";
  }
}

// The job's own notices, through the guards compiled into the job's code
// (job_base.h), so a plugin's exception never crosses into the worker.
void collectNotice(JobRunOutcome& out, const JobBase& job) {
  if (out.ok) {
    out.recoveryNotice = job.onStateChangeSuccessGuarded();
  } else {
    out.failureNotice = job.onFailureGuarded();
    if (out.failureNotice->subject.empty()) out.failureNotice->subject = out.message;
  }
}

}  // namespace

JobRunOutcome runJob(const std::string& type, const JobParams& params, const JobRunContext& context,
                     const std::string& pluginDir) {
  ::signal(SIGPIPE, SIG_IGN);
  JobRunOutcome out;
  Result<std::unique_ptr<JobBase>> made = std::unique_ptr<JobBase>();
  std::string thrown = catchAll([&] { made = createJob(type, params, context, pluginDir); });
  std::unique_ptr<JobBase> job = made ? std::move(*made) : nullptr;
  if (!job) {
    out.message = !thrown.empty() ? thrown : made.error();
    out.failureNotice = JobNotice{out.message, ""};
    return out;
  }
  auto start = std::chrono::steady_clock::now();
  out.ok = job->executeGuarded();
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  out.durationMs = static_cast<uint32_t>(std::min<int64_t>(took.count() / 1000, UINT32_MAX));
  out.latencyUs = job->reportedLatencyMicros();
  // A plugin that measured nothing of its own: its work is what it took.
  if (out.latencyUs < 0 && !isKnownJobType(type)) out.latencyUs = took.count();
  out.measurements = job->reportedMeasurements();
  if (out.ok) {
    out.message = job->successMessage().empty() ? "OK" : job->successMessage();
  } else {
    out.message = job->failureMessage().empty() ? "failed without saying why (execute() returned false without fail())"
                                                : job->failureMessage();
  }
  out.details = job->details();
  if (!out.ok) {
    out.signal = job->processSignal();
    out.deadlineExceeded = job->deadlineExceeded();
  }
  collectNotice(out, *job);
  return out;
}

}  // namespace checker
