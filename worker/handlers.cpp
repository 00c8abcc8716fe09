#include "worker/handlers.h"

#include <chrono>
#include <exception>
#include <string>

#include "jobs/job_registry.h"
#include "jobs/run_job.h"
#include "worker/reply.h"
#include "worker/run_namespaces.h"
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

JobRunContext runContext(ipc::JobRequest::Reader request) {
  JobRunContext context;
  context.jobId = text(request.getJobId());
  context.jobName = text(request.getJobName());
  context.serverName = text(request.getServerName());
  context.deadline = steadyDeadline(request);
  return context;
}

JobParams runParams(ipc::JobRequest::Reader request) {
  JobParams params;
  for (auto param : request.getParams()) params.emplace_back(text(param.getKey()), text(param.getValue()));
  return params;
}

void handleRun(ipc::JobRequest::Reader request, const Result<>& session, ipc::WorkerReply::Builder reply) {
  auto result = reply.initResult();
  if (!session) return setFailed(result, "sandbox: session: " + session.error());
  settleRunNamespaces(text(request.getType()), request.getSandbox().getIsolate(),
                      request.getSandbox().getWritablePaths().size() > 0);
  if (Result<> sandboxed = applySandbox(request.getSandbox(), request.getLimits()); !sandboxed) {
    return setFailed(result, sandboxed.error());
  }

  try {
    setOutcome(result, runJob(text(request.getType()), runParams(request), runContext(request), text(request.getPluginDir())));
  } catch (const std::exception& e) {
    // runJob turns what a job throws into a failed run itself; this is for
    // what escapes it (std::bad_alloc under RLIMIT_AS, say).
    setFailed(result, std::string("worker: ") + e.what());
  }
}

// Expands one plugin section: its JobSpawner's sub-jobs (or the section
// itself), each with what the job says of its own schedule and threshold.
// Plugin code is called only through the guards compiled into the plugin.
void handleDescribe(ipc::DescribeRequest::Reader request, const Result<>& session, ipc::WorkerReply::Builder reply) {
  auto description = reply.initDescription();
  if (!session) return description.setError("sandbox: session: " + session.error());
  settleRunNamespaces(text(request.getType()), request.getSandbox().getIsolate(),
                      request.getSandbox().getWritablePaths().size() > 0);
  if (Result<> sandboxed = applySandbox(request.getSandbox(), request.getLimits()); !sandboxed) {
    return description.setError(sandboxed.error());
  }
  std::string type = text(request.getType()), pluginDir = text(request.getPluginDir());
  JobParams sectionParams;
  for (auto param : request.getParams()) sectionParams.emplace_back(text(param.getKey()), text(param.getValue()));
  Result<std::unique_ptr<JobSpawner>> madeSpawner = createSpawner(type, pluginDir);
  if (!madeSpawner) return description.setError(madeSpawner.error());
  std::unique_ptr<JobSpawner> spawner = std::move(*madeSpawner);
  std::string error;  // what a guarded call into the plugin says (jobs/job_base.h)
  std::vector<JobParams> subJobs{sectionParams};
  if (spawner && !spawner->getSubJobsGuarded(sectionParams, &subJobs, &error)) return description.setError(error);
  auto jobs = description.initJobs(static_cast<unsigned>(subJobs.size()));
  for (unsigned i = 0; i < subJobs.size(); ++i) {
    JobRunContext context;
    context.jobName = text(request.getSectionName());
    Result<std::unique_ptr<JobBase>> made = createJob(type, subJobs[i], context, pluginDir);
    std::string every, notify;
    uint32_t failures = 0;
    if (!made || !*made) return description.setError(made.error().empty() ? "the plugin made no job" : made.error());
    std::unique_ptr<JobBase> job = std::move(*made);
    if (!job->describeGuarded(&every, &notify, &failures, &error)) return description.setError(error);
    auto d = jobs[i];
    auto params = d.initParams(static_cast<unsigned>(subJobs[i].size()));
    auto args = d.initIdentityArgs(spawner ? static_cast<unsigned>(subJobs[i].size()) : 0);
    for (unsigned k = 0; k < subJobs[i].size(); ++k) {
      params[k].setKey(subJobs[i][k].first);
      params[k].setValue(subJobs[i][k].second);
      if (spawner) args.set(k, subJobs[i][k].second);
    }
    d.setEvery(every);
    d.setNotify(notify);
    d.setFailuresBeforeNotify(failures);
  }
}

}  // namespace checker::worker
