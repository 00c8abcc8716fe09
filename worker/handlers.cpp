#include "worker/handlers.h"

#include <chrono>
#include <exception>
#include <string>

#include "jobs/run_job.h"
#include "worker/reply.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

using std::chrono::milliseconds;

// The request's wall-clock deadline on the steady clock the job measures
// time with. Without one: the request's timeout from now, else the
// context's default.
std::chrono::steady_clock::time_point steadyDeadline(const ipc::JobRequest::Reader& request) {
  auto steadyNow = std::chrono::steady_clock::now();
  if (int64_t deadline = request.getDeadlineUnixMs(); deadline != 0) {
    int64_t nowMs =
        std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return steadyNow + milliseconds(deadline - nowMs);
  }
  if (uint32_t timeout = request.getLimits().getTimeoutMs(); timeout != 0) return steadyNow + milliseconds(timeout);
  return JobRunContext{}.deadline;
}

std::string text(capnp::Text::Reader value) { return std::string(value.cStr(), value.size()); }

}  // namespace

void handleRun(ipc::JobRequest::Reader request, const std::string& sessionError, ipc::WorkerReply::Builder reply) {
  auto result = reply.initResult();
  if (!sessionError.empty()) return setFailed(result, "sandbox: session: " + sessionError);
  std::string failure;
  if (!applySandbox(request.getSandbox(), request.getLimits(), &failure)) return setFailed(result, failure);

  JobParams params;
  for (auto param : request.getParams()) params.emplace_back(text(param.getKey()), text(param.getValue()));
  JobRunContext context;
  context.jobId = text(request.getJobId());
  context.jobName = text(request.getJobName());
  context.serverName = text(request.getServerName());
  context.deadline = steadyDeadline(request);
  try {
    setOutcome(result, runJob(text(request.getType()), params, context, text(request.getPluginDir())));
  } catch (const std::exception& e) {
    // runJob turns what a job throws into a failed run itself; this is for
    // what escapes it (std::bad_alloc under RLIMIT_AS, say).
    setFailed(result, std::string("worker: ") + e.what());
  }
}

void handleDescribe(ipc::DescribeRequest::Reader, const std::string& sessionError, ipc::WorkerReply::Builder reply) {
  auto description = reply.initDescription();
  if (!sessionError.empty()) return description.setError("sandbox: session: " + sessionError);
  // A describe request carries no sandbox of its own: the defaults (fds
  // closed, "/" as the directory, empty environment, no new privileges,
  // no core files) apply before any plugin code would run.
  std::string failure;
  if (!applySandbox(ipc::Sandbox::Reader(), ipc::Limits::Reader(), &failure)) return description.setError(failure);
  description.setError("describe is not implemented yet");
}

}  // namespace checker::worker
