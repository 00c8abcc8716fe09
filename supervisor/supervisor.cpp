// Supervisor life: start, the scheduling tick, graceful stop. The run state
// machine itself is in supervisor_runs.cpp.
#include "supervisor/supervisor.h"

#include <dirent.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "common/log.h"
#include "state/state_keys.h"
#include "common/sys_error.h"
#include "supervisor/control_server.h"
#include "worker_runs/run_cgroups.h"

namespace checker {
namespace {

// The loop wakes at least this often, so a wall-clock step is noticed
// quickly even when the next job is hours away.
constexpr int64_t kMaxSleepMs = 1000;
// Wall clock and monotonic clock disagreeing by more than this between two
// ticks means the wall clock was stepped: every due time is recomputed.
constexpr int64_t kClockStepMs = 5000;
constexpr uint64_t kFlushDelayMs = 50;

template <typename Handle>
Supervisor* owner(Handle* h) {
  return static_cast<Supervisor*>(h->data);
}

}  // namespace

int countOwnFds() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(dir)) {
      if (e->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    --count;  // the directory stream's own fd
  }
  return count;
}

Supervisor::Supervisor(uv_loop_t* loop, const Config& config, std::vector<JobDefinition> jobs, StateStore& store,
                       SupervisorOptions options)
    : loop_(loop), config_(config), store_(store), options_(std::move(options)), writer_(store) {
  jobs_.reserve(jobs.size());
  for (JobDefinition& def : jobs) {
    Job job(std::move(def));
    job.phaseMs = phaseForJob(job.def.id(), job.def.schedule());
    jobs_.push_back(std::move(job));
  }
}

Supervisor::~Supervisor() = default;

void Supervisor::start() {
  {
    // Scoped: the map is freed before malloc_trim below, so its pages go back.
    std::unordered_map<std::string, JobRecord> records = writer_.load();
    for (Job& job : jobs_) {
      auto it = records.find(job.def.id());
      if (it != records.end()) job.record = it->second;
    }
  }
  std::vector<ListedJob> listed;  // `checker status` lists these from the state
  for (const Job& job : jobs_) listed.push_back(listedJob(job.def));
  writer_.setJobList(std::move(listed));
  // An empty, root-owned working directory for every run.
  workDir_ = config_.general.stateDir + "/empty";
  if (::mkdir(workDir_.c_str(), 0555) != 0 && errno != EEXIST) throw SysError("mkdir", workDir_, errno);
  if (options_.jobUser.drop) CHECKER_LOG_INFO("sandbox: jobs run as %s", options_.jobUser.describe().c_str());
  std::string whyNot;
  cgroups_ = std::make_unique<RunCgroups>(RunCgroups::detect(&whyNot));
  if (cgroups_->mode() == RunCgroups::Mode::none) {
    CHECKER_LOG_WARN("per-run cgroups unavailable (%s): limits fall back to rlimits (RLIMIT_NPROC per user)",
                     whyNot.c_str());
  } else {
    int stale = cgroups_->sweepStale();
    CHECKER_LOG_INFO("sandbox: %s%s", cgroups_->describe().c_str(),
                     stale > 0 ? (", removed " + std::to_string(stale) + " stale run cgroup(s)").c_str() : "");
  }
  // Every run's worker is forked by the launcher (worker_runs/worker_launcher.h).
  launcher_ = std::make_unique<WorkerLauncher>(loop_, options_.workerPath);
  std::string launcherError;
  if (!launcher_->start(&launcherError)) throw std::runtime_error(launcherError);
  launcherWasReady_ = true;  // started: it takes requests now (setOnReady is for restarts)
  launcher_->setOnReady([this] {
    launcherWasReady_ = true;
    notifyReadyIfUp();
    startWaiting();
  });
  if (!options_.mailerPath.empty()) {
    outbox_ = std::make_unique<OutboxDelivery>(loop_, writer_, [this] { scheduleFlush(); });
    mailer_ = std::make_unique<HelperChannel>(loop_, "mailer", options_.mailerPath, config_.path,
                                              static_cast<HelperChannel::Listener*>(this));
    uv_timer_init(loop_, &selfCheckGuard_);
    selfCheckGuard_.data = this;
    outbox_->setMailer(mailer_.get());
    std::string mailerError;
    if (!mailer_->start(&mailerError)) throw std::runtime_error(mailerError);
    outbox_->start();
  }
  {
    ReadTransaction txn = store_.beginRead();
    lastSelfCheck_ = readLastSelfCheck(txn);
  }
  if (!options_.peerdPath.empty()) {
    peerd_ = std::make_unique<HelperChannel>(loop_, "peerd", options_.peerdPath, config_.path,
                                             static_cast<HelperChannel::Listener*>(this));
    uv_timer_init(loop_, &peerGuard_);
    uv_timer_init(loop_, &heartbeat_);
    peerGuard_.data = this;
    heartbeat_.data = this;
    std::string peerdError;
    if (!peerd_->start(&peerdError)) throw std::runtime_error(peerdError);
    // Several heartbeats per window, so one late tick is never JobProblem.
    uint64_t every = std::clamp<uint64_t>(static_cast<uint64_t>(config_.peerd.jobProblemAfter.count()) / 4, 250, 10'000);
    uv_timer_start(&heartbeat_, [](uv_timer_t* t) { owner(t)->pushHealth(); }, every, every);
  }
  uv_timer_init(loop_, &tick_);
  uv_timer_init(loop_, &flush_);
  uv_timer_init(loop_, &stateBeat_);
  uv_timer_init(loop_, &stopGrace_);
  uv_timer_init(loop_, &cleanupTimer_);
  uv_timer_init(loop_, &watchdog_);
  uv_signal_init(loop_, &sigterm_);
  uv_signal_init(loop_, &sigint_);
  uv_signal_init(loop_, &sighup_);
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick_), reinterpret_cast<uv_handle_t*>(&flush_),
                         reinterpret_cast<uv_handle_t*>(&stateBeat_),
                         reinterpret_cast<uv_handle_t*>(&stopGrace_), reinterpret_cast<uv_handle_t*>(&sigterm_),
                         reinterpret_cast<uv_handle_t*>(&sigint_), reinterpret_cast<uv_handle_t*>(&cleanupTimer_),
                         reinterpret_cast<uv_handle_t*>(&watchdog_), reinterpret_cast<uv_handle_t*>(&sighup_)}) {
    h->data = this;
  }
  uv_signal_start(&sighup_, [](uv_signal_t* s, int) { owner(s)->reload("SIGHUP"); }, SIGHUP);
  control_ = std::make_unique<ControlServer>(loop_, [this](ipc::ControlRequest::Reader request,
                                                             ControlServer::Respond respond) {
    if (request.isReload()) {
      reload("checker reload", [respond](const ReloadResult& result) { respond({result.ok, result.message}); });
    } else if (request.isPing()) {
      respond({true, "checkerd pid " + std::to_string(::getpid()) + ", config " + config_.path});
    } else {
      respond({false, "unknown request"});
    }
  });
  std::string controlError;
  if (!control_->listen(controlSocketPath(config_.general.stateDir), &controlError)) {
    // Reload still works with SIGHUP; everything else does not depend on it.
    CHECKER_LOG_ERROR("%s; `checker reload` will not reach this checkerd (SIGHUP does)", controlError.c_str());
  }
  if (options_.systemd.feedEveryMs() > 0) {
    // From the loop: a wedged loop stops feeding, and systemd restarts checkerd.
    uint64_t every = options_.systemd.feedEveryMs();
    uv_timer_start(&watchdog_, [](uv_timer_t* t) { owner(t)->options_.systemd.watchdog(); }, every, every);
    CHECKER_LOG_INFO("systemd watchdog: %llu ms, fed every %llu ms",
                     static_cast<unsigned long long>(options_.systemd.watchdogUsec() / 1000),
                     static_cast<unsigned long long>(every));
  }
  uv_signal_start(&sigterm_, [](uv_signal_t* s, int) { owner(s)->beginStop("SIGTERM"); }, SIGTERM);
  uv_signal_start(&sigint_, [](uv_signal_t* s, int) { owner(s)->beginStop("SIGINT"); }, SIGINT);
  int64_t now = wallClockNowMs();
  scheduleAll(now);
  // Loading the config and the state left freed heap behind; give it back
  // so the daemon's resident size is what it keeps, not what it once used.
  ::malloc_trim(0);
  CHECKER_LOG_INFO("scheduling %zu job(s) with worker %s; open fds: %d", queue_.size(), options_.workerPath.c_str(),
                   countOwnFds());
  armTimer(now);
  // The state's heartbeat, now and then every few seconds, from the loop:
  // `checker status` tells a running checkerd from a wedged one by its age.
  uv_timer_start(&stateBeat_, [](uv_timer_t* t) {
    owner(t)->writer_.beat();
    owner(t)->scheduleFlush();
  }, 0, static_cast<uint64_t>(state_keys::kHeartbeatEveryMs));
  notifyReadyIfUp();  // without peerd, the children are up now
}

void Supervisor::scheduleAll(int64_t now) {
  queue_.clear();
  for (size_t i = 0; i < jobs_.size(); ++i) {
    Job& job = jobs_[i];
    ++job.generation;
    // The email self-check runs when there is a mailer that can send; the
    // peer checks when there is peerd to ask.
    if (job.retired || (job.def.system() && !isSelfCheck(job) && !isPeerCheck(job))) continue;
    int64_t due = nextDueUnixMs(job.def.schedule(), job.phaseMs, now);
    queue_.push({due, static_cast<uint32_t>(i), job.generation});
  }
  lastTickWallMs_ = now;
  lastTickMonoMs_ = uv_now(loop_);
}

void Supervisor::armTimer(int64_t now) {
  if (stopping_ || queue_.empty()) return;
  int64_t delay = queue_.top().dueUnixMs - now;
  delay = delay < 0 ? 0 : (delay > kMaxSleepMs ? kMaxSleepMs : delay);
  uv_timer_start(&tick_, [](uv_timer_t* t) { owner(t)->onTick(); }, static_cast<uint64_t>(delay), 0);
}

void Supervisor::onTick() {
  uv_update_time(loop_);
  int64_t now = wallClockNowMs();
  int64_t wallDelta = now - lastTickWallMs_;
  int64_t monoDelta = static_cast<int64_t>(uv_now(loop_) - lastTickMonoMs_);
  if (wallDelta - monoDelta > kClockStepMs || monoDelta - wallDelta > kClockStepMs) {
    CHECKER_LOG_WARN("wall clock stepped by %lld ms: recomputing every job's next run",
                     static_cast<long long>(wallDelta - monoDelta));
    scheduleAll(now);
  }
  lastTickWallMs_ = now;
  lastTickMonoMs_ = uv_now(loop_);
  while (!stopping_ && !queue_.empty() && queue_.top().dueUnixMs <= now) {
    DueQueue::Entry entry = queue_.pop();
    Job& job = jobs_[entry.job];
    if (entry.generation != job.generation) continue;
    // The next slot after now: a late loop skips missed slots, never bursts.
    int64_t next = nextDueUnixMs(job.def.schedule(), job.phaseMs, std::max(entry.dueUnixMs, now));
    queue_.push({next, entry.job, job.generation});
    onDue(entry.job, entry.dueUnixMs);
  }
  armTimer(now);
}

void Supervisor::beginStop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  CHECKER_LOG_INFO("stopping (%s): %zu run(s) in progress get %u ms", why, running_, options_.stopGraceMs);
  options_.systemd.stopping(std::string("stopping (") + why + ")");
  uv_timer_stop(&tick_);
  for (size_t index : waiting_) jobs_[index].waiting = false;
  waiting_.clear();
  // A self-check has no process to wait for; its probe is simply not read.
  endSelfCheckUnrecorded("the supervisor stops; not recorded");
  endPeerQueriesUnrecorded("the supervisor stops");
  uv_timer_start(&stopGrace_, [](uv_timer_t* t) {
    Supervisor* self = owner(t);
    CHECKER_LOG_WARN("stop grace period over: killing %zu run(s)", self->running_);
    for (Job& job : self->jobs_) {
      if (job.run == nullptr) continue;
      job.interrupted = true;
      job.run->killNow();
    }
  }, options_.stopGraceMs, 0);
  finishStopIfIdle();
}

void Supervisor::finishStopIfIdle() {
  if (!stopping_ || running_ > 0 || closed_) return;
  flushState();
  // Run cgroups still being emptied: their processes were SIGKILLed; give
  // the kernel a bounded moment so none outlives the supervisor.
  for (int attempt = 0; attempt < 200 && !pendingCleanups_.empty(); ++attempt) {
    ::usleep(10'000);
    retryCleanups();
  }
  // Counted before the launcher's socket closes, to compare with the idle
  // count logged after the first runs (a leak is the difference).
  int openFds = countOwnFds();
  closeHandles();
  CHECKER_LOG_INFO("stopped: %llu run(s) finished, %llu overrun(s); open fds: %d",
                   static_cast<unsigned long long>(stats_.runsFinished),
                   static_cast<unsigned long long>(stats_.overruns), openFds);
}

void Supervisor::closeHandles() {
  closed_ = true;
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick_), reinterpret_cast<uv_handle_t*>(&flush_),
                         reinterpret_cast<uv_handle_t*>(&stateBeat_),
                         reinterpret_cast<uv_handle_t*>(&stopGrace_), reinterpret_cast<uv_handle_t*>(&sigterm_),
                         reinterpret_cast<uv_handle_t*>(&sigint_), reinterpret_cast<uv_handle_t*>(&cleanupTimer_),
                         reinterpret_cast<uv_handle_t*>(&watchdog_), reinterpret_cast<uv_handle_t*>(&sighup_)}) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
  if (control_) control_->close();
  if (launcher_) launcher_->stop();
  // Entries the mailer has not answered stay in the outbox: sent again at
  // the next start.
  if (outbox_) outbox_->stop();
  if (mailer_) {
    endSelfCheckUnrecorded("the supervisor stops");
    uv_close(reinterpret_cast<uv_handle_t*>(&selfCheckGuard_), nullptr);
    mailer_->stop();
  }
  if (peerd_) {
    endPeerQueriesUnrecorded("the supervisor stops");
    uv_close(reinterpret_cast<uv_handle_t*>(&peerGuard_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&heartbeat_), nullptr);
    peerd_->stop();
  }
}

void Supervisor::notifyReadyIfUp() {
  if (notifiedReady_ || !launcherWasReady_ || (peerd_ && !peerdReported_)) return;
  notifiedReady_ = true;
  std::string status = "scheduling " + std::to_string(queue_.size()) + " job(s)";
  if (options_.systemd.enabled() && !options_.systemd.ready(status)) {
    CHECKER_LOG_WARN("systemd: cannot send READY=1: %s", std::strerror(errno));
  }
  CHECKER_LOG_INFO("ready: %s", status.c_str());
}

void Supervisor::onChildReady(HelperChannel& child) {
  if (&child == peerd_.get()) return onPeerdReady();
  onMailerReady();
}

void Supervisor::onChildMessage(HelperChannel& child, ipc::DecodedMessage& message) {
  if (&child == peerd_.get()) return onPeerdMessage(message);
  onMailerMessage(message);
}

void Supervisor::onChildLost(HelperChannel& child) {
  if (&child == peerd_.get()) return onPeerdLost();
  onMailerLost();
}

void Supervisor::scheduleFlush() {
  // Runs that finish within kFlushDelayMs share one transaction (one fsync,
  // which blocks the loop): under load that is the difference between a
  // commit per finished run and twenty a second. A run's state is durable
  // within that delay of its end.
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_))) {
    uv_timer_start(&flush_, [](uv_timer_t* t) { owner(t)->flushState(); }, kFlushDelayMs, 0);
  }
}

void Supervisor::flushState() {
  try {
    writer_.flush(wallClockNowMs());
    stats_.outboxEntries = writer_.outboxEntriesWritten();
    if (outbox_) {
      outbox_->takeNew();
    } else {
      writer_.takeNewOutbox();  // no mailer here (a benchmark): entries wait in the state
    }
  } catch (const std::exception& e) {
    CHECKER_LOG_ERROR("state: could not write %zu finished run(s), retrying in 1 s: %s", writer_.pending(), e.what());
    if (!closed_) uv_timer_start(&flush_, [](uv_timer_t* t) { owner(t)->flushState(); }, 1000, 0);
  }
}

}  // namespace checker
