// Runs of isolation = batch jobs: probes in a long-lived probe worker.
#include "supervisor/batch_runner.h"

#include <csignal>

#include "common/log.h"
#include "ipc/job.capnp.h"
#include "worker_runs/probe_request.h"
#include "worker_runs/run_reply.h"

namespace checker {
namespace {

// Probe workers' run ids: apart from the engine's, which count up from 1.
constexpr uint64_t kProbeWorkerRunIds = 1ull << 62;
// How often overdue probes are looked for while any is in flight.
constexpr uint64_t kDeadlineCheckMs = 250;

BatchRunner* owner(uv_timer_t* t) { return static_cast<BatchRunner*>(t->data); }

}  // namespace

BatchRunner::BatchRunner(uv_loop_t* loop, Clock& clock, const Config& config, WorkerRunLauncher& launcher,
                         RunSink& sink, std::function<void()> onWorkerGone)
    : loop_(loop), clock_(clock), config_(config), launcher_(launcher), sink_(sink),
      onWorkerGone_(std::move(onWorkerGone)) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_idle_init(loop_, &flush_);
  flush_.data = this;
  timerOpen_ = true;
}

BatchRunner::~BatchRunner() = default;

JobRunner::Start BatchRunner::start(const JobDefinition& job, uint64_t runId) {
  probes_.emplace(runId, Probe{job});
  waiting_.push_back(runId);
  // Sent together once this loop turn's due runs have all started: one
  // write and one wake-up of the probe worker for all of them.
  if (timerOpen_ && !uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_))) {
    uv_idle_start(&flush_, [](uv_idle_t* idle) {
      uv_idle_stop(idle);
      static_cast<BatchRunner*>(idle->data)->sendWaiting();
    });
  }
  return Start::started;
}

void BatchRunner::kill(uint64_t runId) {
  // A probe cannot be killed alone; at the end of the stop grace it ends
  // interrupted here, and its late result (if any) is ignored.
  auto found = probes_.find(runId);
  if (found == probes_.end()) return;
  if (found->second.sentTo == worker_ && worker_ != nullptr) {
    --inFlight_;
    abandoned_ = true;  // the worker still holds it: at stop it is killed, not waited for
  }
  probes_.erase(found);
  sink_.runEnded(runId, Unrecorded::interrupted);
}

Result<> BatchRunner::ensureWorker() {
  if (worker_ != nullptr) return {};
  uint64_t runId = kProbeWorkerRunIds + workersStarted_;
  Result<ProbeWorker*> worker = launcher_.launchProbeWorker(runId, this);
  if (!worker) return Error{worker.error()};
  worker_ = *worker;
  inFlight_ = 0;
  ++workersStarted_;
  return {};
}

void BatchRunner::sendWaiting() {
  if (waiting_.empty() || !timerOpen_) return;  // nothing to send, or stopped
  // While the launcher restarts, probes wait as runs do (onLauncherReady).
  if (worker_ == nullptr && !launcher_.ready()) return;
  if (Result<> ready = ensureWorker(); !ready) return failWaiting(ready.error());
  std::string frames;
  while (!waiting_.empty() && inFlight_ < kProbesInFlight) {
    uint64_t runId = waiting_.front();
    waiting_.pop_front();
    auto found = probes_.find(runId);
    if (found == probes_.end()) continue;  // interrupted meanwhile
    Probe& probe = found->second;
    const JobLimits& limits = probe.job.limits();
    probe.startedUnixMs = clock_.wallMs();
    probe.startedMonoMs = clock_.monoMs();
    probe.overdueAtMonoMs = probe.startedMonoMs + static_cast<uint64_t>(limits.timeout.count()) + kSupervisorDeadlineGraceMs;
    probe.sentTo = worker_;
    frames += buildProbeRequest(probe.job, runId, config_.general.serverName, probe.startedUnixMs + limits.timeout.count());
    ++inFlight_;
  }
  if (!frames.empty()) worker_->send(std::move(frames));
  armTimer();
}

// No probe worker could be asked for: each waiting probe is a run whose
// worker could not be started, as in a process per run.
void BatchRunner::failWaiting(const std::string& why) {
  CHECKER_LOG_ERROR("probe worker: could not be started: %s", why.c_str());
  std::deque<uint64_t> failing;
  failing.swap(waiting_);
  for (uint64_t runId : failing) {
    auto found = probes_.find(runId);
    if (found == probes_.end()) continue;
    RunObservation obs;
    obs.spawned = false;
    obs.spawnError = why;
    RunResult result;
    result.run = classifyRun(obs);
    result.startedUnixMs = clock_.wallMs();  // it would have started now
    result.spawnFailure = true;
    finish(runId, std::move(result));
  }
}

void BatchRunner::onProbeResult(std::unique_ptr<ipc::DecodedMessage> message) {
  auto reply = message->root<ipc::ProbeReply>();
  uint64_t runId = reply.getProbeId();
  auto found = probes_.find(runId);
  if (found == probes_.end() || found->second.sentTo != worker_) return;  // interrupted, or not this worker's
  --inFlight_;
  const Probe& probe = found->second;
  RunObservation obs;
  obs.reply = ReplyState::ok;
  obs.timeoutMs = static_cast<uint32_t>(probe.job.limits().timeout.count()) + kSupervisorDeadlineGraceMs;
  RunResult result;
  result.facts = interpretResult(reply.getResult(), obs);
  result.run = classifyRun(obs);
  result.startedUnixMs = probe.startedUnixMs;
  result.durationMs = static_cast<uint32_t>(clock_.monoMs() - probe.startedMonoMs);
  finish(runId, std::move(result));
  sendWaiting();  // room for one more
}

void BatchRunner::onProbeWorkerEnded(const ProbeWorkerEnd& end) {
  ProbeWorker* ended = worker_;
  worker_ = nullptr;
  inFlight_ = 0;
  abandoned_ = false;
  bool memoryLimitHit = launcher_.releaseProbeWorker(ended != nullptr ? ended->runId() : 0);
  RunObservation died;
  died.spawned = end.started;
  died.spawnError = end.startError;
  died.termSignal = end.termSignal;
  died.memoryLimitHit = memoryLimitHit;
  // "was killed by SIGSEGV" (classifyRun says it of "the worker").
  std::string how = end.termSignal != 0 ? classifyRun(died).message.substr(std::string("the worker ").size())
                    : !end.started      ? "could not be started: " + end.startError
                    : end.launcherLost  ? "was lost with the worker launcher"
                                        : "exited with status " + std::to_string(end.exitStatus);
  if (!end.protocolError.empty()) how += " (killed for a bad result: " + end.protocolError + ")";
  std::string stderrLine = firstLineOf(end.stderrText);
  if (!stderrLine.empty()) how += ": " + stderrLine;
  std::vector<uint64_t> held;
  for (const auto& [runId, probe] : probes_) {
    if (probe.sentTo != nullptr && probe.sentTo == ended) held.push_back(runId);
  }
  if (!held.empty() || end.termSignal != 0 || end.exitStatus != 0) {
    CHECKER_LOG_WARN("probe worker %d %s; %zu probe(s) it held end with it", ended != nullptr ? ended->pid() : 0,
                     how.c_str(), held.size());
  }
  for (uint64_t runId : held) {
    Probe& probe = probes_.at(runId);
    if (end.launcherLost) {
      probes_.erase(runId);
      sink_.runEnded(runId, Unrecorded::launcherLost);
      continue;
    }
    RunObservation obs = died;
    obs.timeoutMs = static_cast<uint32_t>(probe.job.limits().timeout.count()) + kSupervisorDeadlineGraceMs;
    obs.killedAtDeadline = probe.overdue;
    RunResult result;
    result.run = classifyRun(obs);
    if (!probe.overdue && result.run.outcome != ipc::Outcome::LIMIT) {
      result.run = {ipc::Outcome::CRASHED, end.termSignal, "the probe worker " + how};
    }
    result.startedUnixMs = probe.startedUnixMs;
    result.durationMs = static_cast<uint32_t>(clock_.monoMs() - probe.startedMonoMs);
    finish(runId, std::move(result));
  }
  sendWaiting();  // a new worker for what waits
  if (!timerOpen_ && onWorkerGone_) onWorkerGone_();
}

void BatchRunner::checkDeadlines() {
  uint64_t now = clock_.monoMs();
  size_t overdue = 0;
  for (auto& [runId, probe] : probes_) {
    if (probe.sentTo == nullptr || probe.sentTo != worker_ || now < probe.overdueAtMonoMs) continue;
    if (!probe.overdue) ++overdue;
    probe.overdue = true;
  }
  if (overdue > 0 && worker_ != nullptr) {
    CHECKER_LOG_ERROR("probe worker %d: %zu probe(s) past their deadline and its grace: the worker is wedged, killing it",
                      worker_->pid(), overdue);
    worker_->kill();
  }
  armTimer();
}

void BatchRunner::armTimer() {
  if (!timerOpen_ || inFlight_ == 0 || uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_))) return;
  uv_timer_start(&timer_, [](uv_timer_t* t) { owner(t)->checkDeadlines(); }, kDeadlineCheckMs, 0);
}

void BatchRunner::finish(uint64_t runId, RunResult result) {
  probes_.erase(runId);
  sink_.runFinished(runId, std::move(result));
}

void BatchRunner::stop() {
  if (worker_ != nullptr && abandoned_) worker_->kill();
  else if (worker_ != nullptr) worker_->finishInput();
  if (timerOpen_) {
    timerOpen_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&flush_), nullptr);
  }
}

}  // namespace checker
