// The run engine's state machine (the table in run_engine.h).
#include "supervisor/run_engine.h"

#include <algorithm>

#include "common/log.h"

namespace checker {
namespace {

// The owner wakes at least this often, so a wall-clock step is noticed
// quickly even when the next job is hours away.
constexpr int64_t kMaxSleepMs = 1000;
// Wall clock and monotonic clock disagreeing by more than this between two
// ticks means the wall clock was stepped: every due time is recomputed.
constexpr int64_t kClockStepMs = 5000;

}  // namespace

RunEngine::Job::Job(JobDefinition definition)
    : def(std::move(definition)), phaseMs(phaseForJob(def.id(), def.schedule())) {}

RunEngine::RunEngine(Clock& clock, RunLauncher& launcher, RunRecorder& recorder, uint32_t maxConcurrentRuns,
                     Hooks hooks)
    : clock_(clock),
      launcher_(launcher),
      recorder_(recorder),
      maxConcurrentRuns_(maxConcurrentRuns),
      hooks_(std::move(hooks)),
      worker_(launcher, *this, [this] { return clock_.wallMs(); }) {}

void RunEngine::addJobs(std::vector<JobDefinition> jobs) {
  byIdStale_ = true;
  jobs_.reserve(jobs_.size() + jobs.size());
  for (JobDefinition& def : jobs) jobs_.emplace_back(std::move(def));
}

void RunEngine::loadRecords(const std::unordered_map<std::string, JobRecord>& records) {
  for (Job& job : jobs_) {
    auto it = records.find(job.def.id());
    if (it != records.end()) job.record = it->second;
  }
}

void RunEngine::chooseRunners(const ChooseRunner& choose) {
  for (Job& job : jobs_) job.runner = job.retired ? nullptr : choose(job.def);
}

std::optional<uint64_t> RunEngine::schedule() {
  int64_t now = clock_.wallMs();
  queue_.clear();
  for (size_t i = 0; i < jobs_.size(); ++i) {
    Job& job = jobs_[i];
    ++job.generation;
    if (job.retired || job.runner == nullptr) continue;
    int64_t due = nextDueUnixMs(job.def.schedule(), job.phaseMs, now);
    queue_.push({due, static_cast<uint32_t>(i), job.generation});
  }
  lastTickWallMs_ = now;
  lastTickMonoMs_ = clock_.monoMs();
  return sleepFor(now);
}

std::optional<uint64_t> RunEngine::tick() {
  int64_t now = clock_.wallMs();
  int64_t wallDelta = now - lastTickWallMs_;
  int64_t monoDelta = static_cast<int64_t>(clock_.monoMs() - lastTickMonoMs_);
  if (wallDelta - monoDelta > kClockStepMs || monoDelta - wallDelta > kClockStepMs) {
    CHECKER_LOG_WARN("wall clock stepped by %lld ms: recomputing every job's next run",
                     static_cast<long long>(wallDelta - monoDelta));
    schedule();
  }
  lastTickWallMs_ = now;
  lastTickMonoMs_ = clock_.monoMs();
  while (!stopping_ && !queue_.empty() && queue_.top().dueUnixMs <= now) {
    DueQueue::Entry entry = queue_.pop();
    Job& job = jobs_[entry.job];
    if (entry.generation != job.generation) continue;
    // The next slot after now: a late loop skips missed slots, never bursts.
    int64_t next = nextDueUnixMs(job.def.schedule(), job.phaseMs, std::max(entry.dueUnixMs, now));
    queue_.push({next, entry.job, job.generation});
    onDue(entry.job, entry.dueUnixMs);
  }
  return sleepFor(now);
}

std::optional<uint64_t> RunEngine::sleepFor(int64_t now) const {
  if (stopping_ || queue_.empty()) return std::nullopt;
  int64_t delay = queue_.top().dueUnixMs - now;
  return static_cast<uint64_t>(std::clamp<int64_t>(delay, 0, kMaxSleepMs));
}

void RunEngine::onDue(size_t index, int64_t dueMs) {
  Job& job = jobs_[index];
  if (job.running || job.waiting) {
    ++job.record.overruns;
    ++stats_.overruns;
    CHECKER_LOG_WARN("job %s: due again while its previous run is still going (overrun %llu)", job.def.name().c_str(),
                     static_cast<unsigned long long>(job.record.overruns));
    return;
  }
  if (job.runner != nullptr && job.runner->takesRunSlot() && (slotted_ >= maxConcurrentRuns_ || !launcher_.ready())) {
    job.waiting = true;
    job.waitingDueMs = dueMs;
    waiting_.push_back(index);
    return;
  }
  startRun(index, dueMs);
}

void RunEngine::startWaiting() {
  while (!stopping_ && !waiting_.empty() && slotted_ < maxConcurrentRuns_ && launcher_.ready()) {
    size_t index = waiting_.front();
    waiting_.pop_front();
    jobs_[index].waiting = false;
    startRun(index, jobs_[index].waitingDueMs);
  }
}

void RunEngine::startRun(size_t index, int64_t dueMs) {
  Job& job = jobs_[index];
  if (job.runner == nullptr) return;  // its helper went away with a reload
  uint64_t runId = nextRunId_++;
  if (hooks_.onRunStarted) hooks_.onRunStarted(index, dueMs, clock_.wallMs());
  job.running = true;
  runs_[runId] = Run{index, job.runner};
  if (job.runner->takesRunSlot()) ++slotted_;
  // The run may end before start() returns (a worker that cannot be spawned).
  if (job.runner->start(job.def, runId) == JobRunner::Start::notStarted) {
    if (job.runner->takesRunSlot()) --slotted_;
    runs_.erase(runId);
    job.running = false;
    tellRunNowWaiters(job, std::nullopt);  // told already if it was recorded
    return;
  }
  ++stats_.runsStarted;
}

RunEngine::Job* RunEngine::endRun(uint64_t runId, bool* workerRun) {
  auto found = runs_.find(runId);
  if (found == runs_.end()) return nullptr;
  Job& job = jobs_[found->second.job];
  *workerRun = found->second.runner == &worker_;
  if (found->second.runner->takesRunSlot()) --slotted_;
  runs_.erase(found);
  job.running = false;
  ++stats_.runsFinished;
  return &job;
}

void RunEngine::runFinished(uint64_t runId, RunResult result) {
  bool workerRun = false;
  Job* job = endRun(runId, &workerRun);
  if (job == nullptr) return;
  if (result.spawnFailure) ++stats_.spawnFailures;
  record(*job, result);
  tellRunNowWaiters(*job, freshRun(*job, result));
  afterRunEnded(workerRun);
}

void RunEngine::runEnded(uint64_t runId, Unrecorded why) {
  bool workerRun = false;
  Job* job = endRun(runId, &workerRun);
  if (job == nullptr) return;
  if (why == Unrecorded::interrupted) {
    CHECKER_LOG_INFO("job %s: run interrupted by shutdown, not recorded", job->def.name().c_str());
  } else if (why == Unrecorded::launcherLost) {
    ++stats_.runsLostWithLauncher;
    CHECKER_LOG_WARN("job %s: run lost with the worker launcher, not recorded; it runs again when next due",
                     job->def.name().c_str());
  }
  tellRunNowWaiters(*job, std::nullopt);
  afterRunEnded(workerRun);
}

void RunEngine::runNotStarted(uint64_t runId, RunResult result) {
  auto found = runs_.find(runId);
  if (found == runs_.end()) return;
  Job& job = jobs_[found->second.job];
  record(job, result);
  tellRunNowWaiters(job, freshRun(job, result));
}

RunEngine::RunNow RunEngine::runNow(const std::string& jobId, const char* why, RunNowDone done) {
  auto found = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return !j.retired && j.def.id() == jobId; });
  if (found == jobs_.end() || found->runner == nullptr || stopping_) return RunNow::unknownJob;
  Job& job = *found;
  if (job.running || job.waiting) {
    job.runNowWaiters.push_back(std::move(done));
    return RunNow::joined;
  }
  uint64_t now = clock_.monoMs();
  if (job.ranNow && now - job.lastRunNowMonoMs < kRunNowEveryMs) return RunNow::tooSoon;
  job.ranNow = true;
  job.lastRunNowMonoMs = now;
  size_t index = static_cast<size_t>(found - jobs_.begin());
  job.runNowWaiters.push_back(std::move(done));
  CHECKER_LOG_INFO("job %s: run now, %s", job.def.name().c_str(), why);
  onDue(index, clock_.wallMs());  // not running or waiting: starts, or waits for a slot
  // A run that ended before start() returned (or could not start) has told
  // DONE already: started, as far as the caller is concerned.
  if (job.running || job.waiting || job.runNowWaiters.empty()) return RunNow::started;
  job.runNowWaiters.clear();
  return RunNow::notStarted;
}

std::optional<RunEngine::FreshRun> RunEngine::freshRun(const Job& job, const RunResult& result) const {
  if (job.retired) return std::nullopt;  // not recorded
  return FreshRun{job.record.policy.health, result.startedUnixMs, result.run.outcome, result.run.message};
}

std::optional<RunEngine::FreshRun> RunEngine::newestResult(const std::string& jobId) {
  LiveJob job = liveJob(jobId);
  if (job.record == nullptr || job.record->runs == 0) return std::nullopt;
  const JobRecord& r = *job.record;
  return FreshRun{r.policy.health, r.lastStartedUnixMs, r.lastOutcome, r.lastMessage};
}

void RunEngine::tellRunNowWaiters(Job& job, const std::optional<FreshRun>& fresh) {
  std::vector<RunNowDone> waiters = std::move(job.runNowWaiters);
  job.runNowWaiters.clear();
  for (RunNowDone& done : waiters) done(fresh);
}

void RunEngine::record(Job& job, const RunResult& result) {
  stats_.runs.recordRun(result.run.outcome, result.durationMs);
  if (job.retired) {
    CHECKER_LOG_INFO("job %s: run finished after the reload removed the job; not recorded", job.def.name().c_str());
    return;
  }
  recorder_.record(job.def, job.record, result);
}

void RunEngine::afterRunEnded(bool workerRun) {
  startWaiting();
  if (hooks_.onRunEnded) hooks_.onRunEnded(workerRun);
}

void RunEngine::stop() {
  stopping_ = true;
  for (size_t index : waiting_) {
    jobs_[index].waiting = false;
    tellRunNowWaiters(jobs_[index], std::nullopt);
  }
  waiting_.clear();
}

void RunEngine::killAll() {
  std::vector<std::pair<uint64_t, JobRunner*>> live;
  for (const auto& [runId, run] : runs_) live.emplace_back(runId, run.runner);
  for (const auto& [runId, runner] : live) runner->kill(runId);
}

std::optional<int64_t> RunEngine::oldestWaitingDueMs() const {
  if (waiting_.empty()) return std::nullopt;
  return jobs_[waiting_.front()].waitingDueMs;
}

std::vector<std::pair<std::string, std::string>> RunEngine::liveJobs() const {
  std::vector<std::pair<std::string, std::string>> live;
  forEachLiveJob([&](const JobDefinition& job) { live.emplace_back(job.id(), job.name()); });
  return live;
}

void RunEngine::forEachLiveJob(const std::function<void(const JobDefinition&)>& visit) const {
  for (const Job& job : jobs_) {
    if (!job.retired) visit(job.def);
  }
}

void RunEngine::forEachLiveRecord(const std::function<void(const JobDefinition&, const JobRecord&)>& visit) const {
  for (const Job& job : jobs_) {
    if (!job.retired) visit(job.def, job.record);
  }
}

void RunEngine::updateLiveRecords(const std::function<void(const JobDefinition&, JobRecord&)>& visit) {
  for (Job& job : jobs_) {
    if (!job.retired) visit(job.def, job.record);
  }
}

RunEngine::LiveJob RunEngine::liveJob(const std::string& jobId) {
  if (byIdStale_) {
    byId_.clear();
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (!jobs_[i].retired) byId_.emplace(jobs_[i].def.id(), i);
    }
    byIdStale_ = false;
  }
  auto it = byId_.find(jobId);
  if (it == byId_.end()) return {};
  Job& job = jobs_[it->second];
  return {&job.def, &job.record};
}

RunEngine::Reconciled RunEngine::replaceJobs(std::vector<JobDefinition> jobs, const StoredRecord& stored) {
  byIdStale_ = true;
  std::unordered_map<std::string, size_t> live;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    if (!jobs_[i].retired) live.emplace(jobs_[i].def.id(), i);
  }
  Reconciled counts;
  std::vector<bool> kept(jobs_.size(), false);
  std::vector<JobDefinition> fresh;
  for (JobDefinition& def : jobs) {
    auto found = live.find(def.id());
    if (found == live.end()) {
      fresh.push_back(std::move(def));
      continue;
    }
    Job& job = jobs_[found->second];
    kept[found->second] = true;
    if (job.def.settings().schedule != def.settings().schedule || !(job.def.notify() == def.notify())) ++counts.changed;
    job.def = std::move(def);
    job.phaseMs = phaseForJob(job.def.id(), job.def.schedule());
  }
  for (size_t i = 0; i < kept.size(); ++i) {
    if (!jobs_[i].retired && !kept[i]) {
      retire(i);
      ++counts.removed;
    }
  }
  for (JobDefinition& def : fresh) {
    Job job(std::move(def));
    // Removed and added back: it carries on from its stored state.
    if (std::optional<JobRecord> record = stored(job.def.id())) job.record = *record;
    placeNewJob(std::move(job));
    ++counts.added;
  }
  counts.active = static_cast<size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.retired; }));
  return counts;
}

void RunEngine::placeNewJob(Job job) {
  auto idle = std::find_if(jobs_.begin(), jobs_.end(), [](const Job& j) { return j.retired && !j.running && !j.waiting; });
  if (idle == jobs_.end()) {
    jobs_.push_back(std::move(job));
    return;
  }
  uint32_t generation = idle->generation;
  *idle = std::move(job);
  idle->generation = generation;  // schedule() moves it on: no stale queue entry applies
}

void RunEngine::retire(size_t index) {
  Job& job = jobs_[index];
  job.retired = true;
  ++job.generation;
  if (job.waiting) {
    job.waiting = false;
    waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), index), waiting_.end());
    tellRunNowWaiters(job, std::nullopt);
  }
  if (job.running) {
    CHECKER_LOG_INFO("job %s: removed by the reload; its run in progress finishes and is not recorded",
                     job.def.name().c_str());
  } else {
    CHECKER_LOG_INFO("job %s: removed by the reload", job.def.name().c_str());
  }
}

}  // namespace checker
