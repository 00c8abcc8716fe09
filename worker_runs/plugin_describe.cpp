#include "worker_runs/plugin_describe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <capnp/message.h>

#include <algorithm>
#include <map>

#include "common/result.h"
#include "common/utf8_text.h"
#include "ipc/framing.h"
#include "ipc/job.capnp.h"
#include "worker_runs/run_once.h"
#include "worker_runs/run_reply.h"
#include "worker_runs/run_request.h"
#include "worker_runs/worker_run.h"

namespace checker {
namespace {

std::string describeRequest(const JobDefinition& job, const std::string& pluginDir, const SandboxPlan& plan) {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<ipc::WorkerRequest>().initDescribe();
  request.setSectionName(job.section());
  request.setType(job.type());
  request.setPluginDir(pluginDir);
  WorkerParams params = job.params();
  fillParams(request.initParams(static_cast<unsigned>(params.size())), params);
  fillLimits(request.initLimits(), job, plan);  // plugin code runs here too: as for a run
  fillSandbox(request.initSandbox(), plan);
  return ipc::encode(message);
}

// Runs one describe in SANDBOX; the reply, or why there is none.
Result<std::unique_ptr<ipc::DecodedMessage>> askWorker(const JobDefinition& job, const std::string& workerPath,
                                                       const std::string& pluginDir, OneShotSandbox& sandbox) {
  uint64_t runId = 0;
  SandboxPlan plan = sandbox.plan(job, &runId);
  WorkerRunReport report = sandbox.runWorker(workerPath, describeRequest(job, pluginDir, plan),
                                             static_cast<uint32_t>(job.limits().timeout.count()), runId);
  if (report.observation.reply != ReplyState::ok) {
    report.observation.stderrExcerpt = firstLineOf(report.stderrText);
    return Error{"the worker gave no description (" + classifyRun(report.observation).message + ")"};
  }
  return std::move(report.reply);
}

// Appends the jobs one description stands for to OUT; an Error when unusable.
// Each described job has params, and may have a schedule, of its own: each
// gets its own settings (a plugin section describes a few jobs, not 10,000).
Result<> expand(const JobDefinition& section, ipc::DescribeReply::Reader reply, std::vector<JobDefinition>& out) {
  if (reply.getError().size() > 0) return Error{reply.getError()};
  for (auto d : reply.getJobs()) {
    JobSectionSettings settings = section.settings();
    std::string id = section.id();
    std::string args;
    // The plugin's words become the job's id and name: one clean line each.
    for (auto arg : d.getIdentityArgs()) {
      args += (args.empty() ? "" : ":") + cleanLine(std::string_view(arg.cStr(), arg.size()), kMaxLineBytes);
    }
    if (!args.empty()) {
      settings.targetIdPrefix = "plugin:" + settings.type + ":";
      settings.targetInName = true;  // NAME[ARGS]
      id = settings.targetIdPrefix + args;
    }
    settings.params.clear();
    for (auto p : d.getParams()) settings.params.emplace_back(p.getKey(), p.getValue());
    if (d.getEvery().size() > 0) {
      Result<Schedule> every = parseSchedule(d.getEvery().cStr());
      if (!every) return Error{"executeEvery(): " + every.error()};
      settings.schedule = std::move(*every);
    }
    if (d.getNotify().size() > 0) {
      Result<NotifyMode> mode = parseNotifyMode(d.getNotify().cStr());
      if (!mode) return Error{"notifyOnFailureEvery(): " + mode.error()};
      settings.notify.mode = *mode;
    }
    if (d.getFailuresBeforeNotify() > 0) settings.notify.failuresBeforeNotify = d.getFailuresBeforeNotify();
    out.emplace_back(std::move(id), std::make_shared<const JobSectionSettings>(std::move(settings)));
  }
  return {};
}

}  // namespace

void describePluginJobs(LoadedConfig& loaded, const std::string& workerPath, const JobUser& user) {
  if (std::none_of(loaded.jobs.begin(), loaded.jobs.end(), isPluginJob)) return;
  OneShotSandbox sandbox(user);
  if (!sandbox.ok()) {
    loaded.errors.push_back(loaded.config.path + ": cannot make a directory to describe plugin jobs in");
    return;
  }
  std::vector<JobDefinition> jobs;
  for (JobDefinition& job : loaded.jobs) {
    if (!isPluginJob(job)) {
      jobs.push_back(std::move(job));
      continue;
    }
    auto reply = askWorker(job, workerPath, loaded.config.general.pluginDir, sandbox);
    std::string error = reply.error();
    try {
      if (reply) {
        Result<> expanded = expand(job, (*reply)->root<ipc::WorkerReply>().getDescription(), jobs);
        if (expanded) continue;
        error = expanded.error();
      }
    } catch (const ipc::FrameError& e) {
      error = std::string("malformed description: ") + e.what();
    }
    // The error may quote the plugin's own words.
    std::string what = "[job " + job.section() + "] type " + job.type() + ": " + cleanLine(error, kMaxLineBytes);
    loaded.errors.push_back(formatDiagnostic(loaded.config.path, {job.line(), what}));
  }
  std::map<std::string, const JobDefinition*> seen;
  for (const JobDefinition& job : jobs) {
    auto [it, fresh] = seen.emplace(job.id(), &job);
    if (!fresh) {
      loaded.errors.push_back(formatDiagnostic(
          loaded.config.path, {job.line(), "[job " + job.section() + "] defines job '" + job.id() +
                                               "' again (already defined in [job " + it->second->section() + "])"}));
    }
  }
  loaded.jobs = std::move(jobs);
}

}  // namespace checker
