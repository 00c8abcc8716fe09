// A configured job's run: started by the launcher, classified at its end.
#include "supervisor/worker_runner.h"

#include "common/log.h"
#include "worker_runs/run_request.h"

namespace checker {

JobRunner::Start WorkerRunner::start(const JobDefinition& job, uint64_t runId) {
  runs_[runId] = Run{job.limits(), false};
  int64_t now = wallMs_();
  Result<> launched = launcher_.launch(job, runId, now, [this, runId](WorkerRunReport&& report) {
    onDone(runId, std::move(report));
  });
  if (!launched) {
    CHECKER_LOG_ERROR("job %s: %s", job.name().c_str(), launched.error().c_str());
    WorkerRunReport report;
    report.observation.spawned = false;
    report.observation.spawnError = launched.error();
    report.startedUnixMs = now;
    onDone(runId, std::move(report), true);
  }
  // Started either way: a run that could not be spawned is a failed run.
  return Start::started;
}

void WorkerRunner::kill(uint64_t runId) {
  auto found = runs_.find(runId);
  if (found == runs_.end()) return;
  found->second.interrupted = true;
  launcher_.kill(runId);
}

void WorkerRunner::onDone(uint64_t runId, WorkerRunReport&& report, bool spawnFailure) {
  auto found = runs_.find(runId);
  if (found == runs_.end()) return;
  Run run = std::move(found->second);
  runs_.erase(found);
  if (run.interrupted) return sink_.runEnded(runId, Unrecorded::interrupted);
  if (report.launcherLost) return sink_.runEnded(runId, Unrecorded::launcherLost);
  RunResult result = classify(run.limits, report);
  result.spawnFailure = spawnFailure;
  sink_.runFinished(runId, std::move(result));
}

RunResult WorkerRunner::classify(const JobLimits& limits, WorkerRunReport& report) {
  RunObservation& obs = report.observation;
  obs.timeoutMs = static_cast<uint32_t>(limits.timeout.count()) + kSupervisorDeadlineGraceMs;
  obs.cpuSeconds = limits.cpuSeconds;
  obs.stderrExcerpt = firstLineOf(report.stderrText);
  RunResult result;
  result.facts = interpretReply(report);
  result.run = classifyRun(obs);
  result.startedUnixMs = report.startedUnixMs;
  result.durationMs = report.durationMs;
  return result;
}

}  // namespace checker
