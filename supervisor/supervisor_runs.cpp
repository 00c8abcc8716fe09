// The run state machine of a job: due -> running -> finished (see the table
// in supervisor.h), and what a finished run leaves in the state.
#include <algorithm>

#include "common/log.h"
#include "supervisor/alert_text.h"
#include "worker_runs/run_cgroups.h"
#include "worker_runs/run_reply.h"
#include "supervisor/supervisor.h"

namespace checker {

void Supervisor::onDue(size_t index, int64_t dueMs) {
  Job& job = jobs_[index];
  if (job.phase == Phase::running || job.waiting) {
    ++job.record.overruns;
    ++stats_.overruns;
    CHECKER_LOG_WARN("job %s: due again while its previous run is still going (overrun %llu)", job.def.name().c_str(),
                     static_cast<unsigned long long>(job.record.overruns));
    return;
  }
  if (running_ >= options_.maxConcurrentRuns || !launcher_->ready()) {
    job.waiting = true;
    job.waitingDueMs = dueMs;
    waiting_.push_back(index);
    return;
  }
  startRun(index, dueMs);
}

void Supervisor::startWaiting() {
  while (!stopping_ && !waiting_.empty() && running_ < options_.maxConcurrentRuns && launcher_->ready()) {
    size_t index = waiting_.front();
    waiting_.pop_front();
    jobs_[index].waiting = false;
    startRun(index, jobs_[index].waitingDueMs);
  }
}

void Supervisor::startRun(size_t index, int64_t dueMs) {
  Job& job = jobs_[index];
  if (isSelfCheck(job)) return startSelfCheck(index);
  if (isPeerCheck(job)) return startPeerCheck(index);
  uint64_t runId = nextRunId_++;
  int64_t now = wallClockNowMs();
  if (options_.onRunStarted) options_.onRunStarted(index, dueMs, now);
  WorkerRunSpec spec;
  spec.workerPath = options_.workerPath;
  spec.timeoutMs = static_cast<uint32_t>(job.def.limits().timeout.count()) + kSupervisorDeadlineGraceMs;
  spec.request = buildRunRequest(job.def, config_.general.serverName, config_.general.pluginDir,
                                 now + job.def.limits().timeout.count(),
                                 planSandbox(cgroups_.get(), job.def, runId, workDir_, options_.jobUser));
  std::string error;
  job.run = WorkerRun::launch(
      loop_, *launcher_, runId, spec,
      [this, index, runId](WorkerRunReport&& report) { onRunFinished(index, runId, std::move(report)); }, &error);
  job.runId = runId;
  ++stats_.runsStarted;
  ++running_;
  job.phase = Phase::running;
  if (job.run == nullptr) {
    ++stats_.spawnFailures;
    CHECKER_LOG_ERROR("job %s: %s", job.def.name().c_str(), error.c_str());
    WorkerRunReport report;
    report.observation.spawned = false;
    report.observation.spawnError = error;
    report.startedUnixMs = now;
    onRunFinished(index, runId, std::move(report));
  }
}

void Supervisor::onRunFinished(size_t index, uint64_t runId, WorkerRunReport&& report) {
  Job& job = jobs_[index];
  job.run = nullptr;
  job.phase = Phase::idle;
  --running_;
  ++stats_.runsFinished;
  if (cgroups_ && cgroups_->mode() != RunCgroups::Mode::none) {
    report.observation.memoryLimitHit = cgroups_->runHitMemoryLimit(runId);
    releaseSandbox(runId);
  }
  if (job.interrupted) {
    job.interrupted = false;
    CHECKER_LOG_INFO("job %s: run interrupted by shutdown, not recorded", job.def.name().c_str());
  } else if (report.launcherLost) {
    ++stats_.runsLostWithLauncher;
    CHECKER_LOG_WARN("job %s: run lost with the worker launcher, not recorded; it runs again when next due",
                     job.def.name().c_str());
  } else {
    recordRun(job, report);
  }
  if (running_ == 0 && !loggedIdleFds_) {
    // The first moment with no run in flight, after at least one run: every
    // lazily opened fd (libuv keeps /dev/null once it has spawned) exists
    // and no run holds a pipe. The baseline a leak would grow from.
    loggedIdleFds_ = true;
    CHECKER_LOG_INFO("idle after the first runs; open fds: %d", countOwnFds());
  }
  startWaiting();
  finishStopIfIdle();
}

void Supervisor::recordRun(Job& job, WorkerRunReport& report) {
  RunObservation& obs = report.observation;
  obs.timeoutMs = static_cast<uint32_t>(job.def.limits().timeout.count()) + kSupervisorDeadlineGraceMs;
  obs.cpuSeconds = job.def.limits().cpuSeconds;
  obs.stderrExcerpt = firstLineOf(report.stderrText);
  ReplyFacts facts = interpretReply(report);
  recordOutcome(job, classifyRun(obs), facts, report.startedUnixMs, report.durationMs);
}

void Supervisor::recordOutcome(Job& job, const ClassifiedRun& run, const ReplyFacts& facts, int64_t startedUnixMs,
                               uint32_t durationMs, std::optional<PeerRecord> peer) {
  stats_.runs.recordRun(run.outcome, durationMs);
  if (job.retired) {
    CHECKER_LOG_INFO("job %s: run finished after the reload removed the job; not recorded", job.def.name().c_str());
    return;
  }
  int64_t now = wallClockNowMs();
  JobRecord before = job.record;
  PolicyDecision decision = applyPolicy(before.policy, run.outcome == ipc::Outcome::OK, now, job.def.notify());
  JobRecord& after = job.record;
  after.policy = decision.next;
  ++after.runs;
  FinishedRun finished{job.def.id(), job.def.name(), job.def.type(), after, startedUnixMs, durationMs,
                       run.outcome, run.signal, run.message, std::nullopt, std::move(peer)};
  if (decision.notice == NoticeKind::failure) {
    finished.mail = composeFailureMail(job.def, after, run, facts.failureNotice, config_.general.serverName,
                                       recipientsOf(job));
  } else if (decision.notice == NoticeKind::recovery) {
    finished.mail = composeRecoveryMail(job.def, before, run, facts.recoveryNotice, config_.general.serverName,
                                        recipientsOf(job), now);
  }
  if (finished.peer) {
    finished.peer->sinceUnixMs = after.policy.firstFailureUnixMs;
    if (finished.mail) {
      finished.mail->kind = finished.mail->kind == ipc::MailKind::RECOVERY ? ipc::MailKind::PEER_RECOVERY
                                                                          : ipc::MailKind::PEER_ALERT;
    }
  }
  if (run.outcome != ipc::Outcome::OK) {
    CHECKER_LOG_WARN("job %s: %s after %u ms: %s", job.def.name().c_str(), outcomeName(run.outcome), durationMs,
                     run.message.c_str());
  } else if (before.policy.health != after.policy.health) {
    CHECKER_LOG_INFO("job %s: ok after %u ms%s", job.def.name().c_str(), durationMs,
                     before.policy.health == JobHealth::failing ? " (recovered)" : "");
  }
  writer_.add(std::move(finished));
  scheduleFlush();
}

void Supervisor::releaseSandbox(uint64_t runId) {
  RunCgroups::Cleanup cleanup = cgroups_->cleanupRun(runId);
  if (cleanup.removed) return;
  pendingCleanups_.push_back(runId);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&cleanupTimer_))) {
    uv_timer_start(&cleanupTimer_, [](uv_timer_t* t) { static_cast<Supervisor*>(t->data)->retryCleanups(); }, 50, 0);
  }
}

void Supervisor::retryCleanups() {
  std::vector<uint64_t> still;
  for (uint64_t runId : pendingCleanups_) {
    if (!cgroups_->cleanupRun(runId).removed) still.push_back(runId);
  }
  pendingCleanups_ = std::move(still);
  if (!pendingCleanups_.empty() && !closed_) {
    uv_timer_start(&cleanupTimer_, [](uv_timer_t* t) { static_cast<Supervisor*>(t->data)->retryCleanups(); }, 100, 0);
  }
}

}  // namespace checker
