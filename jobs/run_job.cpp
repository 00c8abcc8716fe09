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

void collectNotice(JobRunOutcome& out, const JobBase& job, const JobRunContext& context) {
  std::string thrown;
  if (out.ok) {
    thrown = catchAll([&] { out.recoveryNotice = job.onStateChangeSuccess(); });
    if (!thrown.empty()) {
      out.recoveryNotice = JobNotice{(context.jobName.empty() ? context.jobId : context.jobName) + " recovered",
                                     "(onStateChangeSuccess: " + thrown + ")"};
    }
  } else {
    thrown = catchAll([&] { out.failureNotice = job.onFailure(); });
    if (!thrown.empty()) out.failureNotice = JobNotice{out.message, out.details + "\n(onFailure: " + thrown + ")"};
    if (out.failureNotice->subject.empty()) out.failureNotice->subject = out.message;
  }
}

}  // namespace

JobRunOutcome runJob(const std::string& type, const JobParams& params, const JobRunContext& context,
                     const std::string& pluginDir) {
  ::signal(SIGPIPE, SIG_IGN);
  JobRunOutcome out;
  std::unique_ptr<JobBase> job;
  std::string error;
  std::string thrown = catchAll([&] { job = createJob(type, params, context, pluginDir, &error); });
  if (!job) {
    out.message = !thrown.empty() ? thrown : error;
    out.failureNotice = JobNotice{out.message, ""};
    return out;
  }
  auto start = std::chrono::steady_clock::now();
  thrown = catchAll([&] { out.ok = job->execute(); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  out.durationMs = static_cast<uint32_t>(std::min<int64_t>(took.count(), UINT32_MAX));
  if (!thrown.empty()) {
    out.ok = false;
    out.message = thrown;
    out.details = job->details();
    out.failureNotice = JobNotice{out.message, out.details};
    return out;  // a job that threw is not asked to compose its notice
  }
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
  collectNotice(out, *job, context);
  return out;
}

}  // namespace checker
