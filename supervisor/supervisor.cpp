// Supervisor life: wiring the parts, start, the scheduling timer, the state
// flush, graceful stop. The run state machine is the run engine's
// (run_engine.cpp); reload is in supervisor_reload.cpp.
#include "supervisor/supervisor.h"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/log.h"
#include "state/channel_health.h"
#include "state/job_list.h"
#include "state/state_keys.h"
#include "supervisor/confirm_command.h"
#include "supervisor/control_server.h"

namespace checker {
namespace {

constexpr uint64_t kFlushDelayMs = 50;

template <typename Handle>
Supervisor* owner(Handle* h) {
  return static_cast<Supervisor*>(h->data);
}

// Every handle the supervisor itself owns (the parts close their own).
template <typename Each>
void forEachHandle(uv_timer_t& tick, uv_timer_t& flush, uv_timer_t& stateBeat, uv_timer_t& stopGrace,
                   uv_timer_t& watchdog, uv_signal_t& sigterm, uv_signal_t& sigint, uv_signal_t& sighup, Each each) {
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick), reinterpret_cast<uv_handle_t*>(&flush),
                         reinterpret_cast<uv_handle_t*>(&stateBeat), reinterpret_cast<uv_handle_t*>(&stopGrace),
                         reinterpret_cast<uv_handle_t*>(&watchdog), reinterpret_cast<uv_handle_t*>(&sigterm),
                         reinterpret_cast<uv_handle_t*>(&sigint), reinterpret_cast<uv_handle_t*>(&sighup)}) {
    each(h);
  }
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
    : loop_(loop),
      config_(config),
      store_(store),
      options_(std::move(options)),
      writer_(store),
      clock_(loop),
      alerting_(clock_, config_, writer_, [this] { scheduleFlush(); }),
      launcher_(loop, config_, options_.workerPath, options_.jobUser),
      engine_(clock_, launcher_, alerting_, options_.maxConcurrentRuns,
              RunEngine::Hooks{options_.onRunStarted, [this](bool workerRun) { onRunEnded(workerRun); }}),
      batch_(loop, clock_, config_, launcher_, engine_, [this] { finishStopIfIdle(); }),
      mail_(loop, clock_, config_, writer_, engine_, options_.mailerPath,
            MailLink::Hooks{[this] { scheduleFlush(); }, [this] { peers_.pushHealth(); }}),
      alertResend_(loop, clock_, config_, writer_,
                   AlertResend::Sources{
                       [this](const auto& visit) { engine_.forEachLiveRecord(visit); },
                       [this] { return mail_.outboxStatuses(); },
                       [this] { return mail_.lastRefusedNotices(); },
                       [this](const JobDefinition& job) { return alerting_.channelsOf(job); },
                       [this] { scheduleFlush(); },
                   }),
      gate_(loop, clock_, engine_, alerting_),
      peers_(loop, clock_, config_, engine_, options_.peerdPath,
             PeerLink::Sources{
                 [this](int64_t now) { return mail_.health(now); },
                 [this] { return engine_.oldestWaitingDueMs(); },
                 [this] {
                   const RunStats& s = engine_.stats();
                   return SupervisorCounters{s.runs, s.spawnFailures, s.overruns, s.runsLostWithLauncher};
                 },
                 [this] { return engine_.liveJobs(); },
                 [this] { notifyReadyIfUp(); },
                 [this](const std::string& jobId, RunEngine::RunNowDone done) {
                   return engine_.runNow(jobId, "for a peer's question", std::move(done));
                 },
                 [this](const std::string& jobId) { return engine_.newestResult(jobId); },
             }),
      silences_(clock_, config_, store_) {
  engine_.addJobs(std::move(jobs));
  alerting_.setGate(Alerting::Gate{
      [this](const JobDefinition& job, const JobRecord& record, bool failing, int64_t now) {
        return gate_.factsOf(job, record, failing, now);
      },
      [this](const JobDefinition& job) { gate_.recorded(job); },
      [this](const JobDefinition& job, const JobRecord& record) { gate_.askPeers(job, record); },
  });
  gate_.setSources(NoticeGate::Sources{
      [this](const JobDefinition& job, int64_t now) -> std::optional<std::string> {
        std::optional<SilenceBook::Quiet> quiet = silences_.quietOf(job, now);
        if (!quiet) return std::nullopt;
        return quiet->reason;
      },
      [this](int64_t now) { return silences_.nextChangeAfter(now); },
      [this](const std::string& jobId, const char* why) {
        engine_.runNow(jobId, why, [](const std::optional<RunEngine::FreshRun>&) {});
      },
      [this](const std::string& jobId, const std::vector<std::string>& peers, int64_t after,
             std::function<void(std::vector<PeerView>)> done) { peers_.confirm(jobId, peers, after, std::move(done)); },
      [this] { return config_.general.serverName; },
      [this](const std::string& subject, const std::string& body) { alerting_.tellOwnAdmin(subject, body); },
  });
  silences_.setOnChange([this] { gate_.quietChanged(); });
}

Supervisor::~Supervisor() = default;

void Supervisor::start() {
  {
    // Scoped: the map is freed before malloc_trim below, so its pages go back.
    engine_.loadRecords(writer_.load());
  }
  silences_.load();
  writeJobList();
  writer_.setRetention(config_.general.history);
  startChildren();
  initHandles();
  uv_signal_start(&sighup_, [](uv_signal_t* s, int) { owner(s)->reload("SIGHUP"); }, SIGHUP);
  listenForControl();
  startWatchdog();
  alertResend_.start();
  uv_signal_start(&sigterm_, [](uv_signal_t* s, int) { owner(s)->beginStop("SIGTERM"); }, SIGTERM);
  uv_signal_start(&sigint_, [](uv_signal_t* s, int) { owner(s)->beginStop("SIGINT"); }, SIGINT);
  engine_.chooseRunners([this](const JobDefinition& job) { return runnerFor(job); });
  std::optional<uint64_t> sleep = engine_.schedule();
  // Holds brought up to date: a window that ended, or a silence that
  // expired, while checkerd was down releases its notices now.
  gate_.jobsChanged();
  // Loading the config and the state left freed heap behind; give it back
  // so the daemon's resident size is what it keeps, not what it once used.
  ::malloc_trim(0);
  CHECKER_LOG_INFO("scheduling %zu job(s) with worker %s; open fds: %d", engine_.scheduled(),
                   options_.workerPath.c_str(), countOwnFds());
  armTimer(sleep);
  // The state's heartbeat, now and then every few seconds, from the loop:
  // `checker status` tells a running checkerd from a wedged one by its age.
  uv_timer_start(&stateBeat_, [](uv_timer_t* t) {
    owner(t)->writer_.beat();
    owner(t)->scheduleFlush();
  }, 0, static_cast<uint64_t>(state_keys::kHeartbeatEveryMs));
  notifyReadyIfUp();  // without peerd, the children are up now
}

void Supervisor::startChildren() {
  // Every run's worker is forked by the launcher (worker_runs/worker_launcher.h).
  if (Result<> started = launcher_.start(); !started) throw std::runtime_error(started.error());
  launcherWasReady_ = true;  // started: it takes requests now (setOnReady is for restarts)
  launcher_.setOnReady([this] {
    launcherWasReady_ = true;
    notifyReadyIfUp();
    engine_.onLauncherReady();
    batch_.onLauncherReady();
  });
  if (Result<> opened = mail_.open(store_); !opened) throw std::runtime_error(opened.error());
  if (Result<> opened = peers_.open(); !opened) throw std::runtime_error(opened.error());
}

void Supervisor::initHandles() {
  for (uv_timer_t* t : {&tick_, &flush_, &stateBeat_, &stopGrace_, &watchdog_}) uv_timer_init(loop_, t);
  for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) uv_signal_init(loop_, s);
  forEachHandle(tick_, flush_, stateBeat_, stopGrace_, watchdog_, sigterm_, sigint_, sighup_,
                [this](uv_handle_t* h) { h->data = this; });
}

void Supervisor::listenForControl() {
  control_ = std::make_unique<ControlServer>(loop_, [this](ipc::ControlRequest::Reader request,
                                                             const ControlPeer& peer, ControlServer::Respond respond) {
    if (request.isReload()) {
      reload("checker reload", [respond](const ReloadResult& result) { respond({result.ok, result.message}); });
    } else if (request.isTestChannel()) {
      std::string channel = request.getTestChannel();
      mail_.testChannel(channel, [respond](const ChannelTester::Answer& answer) {
        respond({answer.accepted, answer.message});
      });
    } else if (request.isSilence()) {
      respond(silences_.onSilenceRequest(request.getSilence(), peer.uid));
    } else if (request.isSilences()) {
      respond(silences_.onSilencesRequest());
    } else if (request.isUnsilence()) {
      respond(silences_.onUnsilenceRequest(request.getUnsilence()));
    } else if (request.isConfirm()) {
      answerConfirmCommand(request.getConfirm(), engine_, peers_, clock_, respond);
    } else if (request.isPing()) {
      respond({true, "checkerd pid " + std::to_string(::getpid()) + ", config " + config_.path});
    } else {
      respond({false, "unknown request"});
    }
  });
  if (Result<> listening = control_->listen(controlSocketPath(config_.general.stateDir)); !listening) {
    // Reload still works with SIGHUP; everything else does not depend on it.
    CHECKER_LOG_ERROR("%s; `checker reload` will not reach this checkerd (SIGHUP does)", listening.error().c_str());
  }
}

void Supervisor::startWatchdog() {
  if (options_.systemd.feedEveryMs() == 0) return;
  // From the loop: a wedged loop stops feeding, and systemd restarts checkerd.
  uint64_t every = options_.systemd.feedEveryMs();
  uv_timer_start(&watchdog_, [](uv_timer_t* t) { owner(t)->options_.systemd.watchdog(); }, every, every);
  CHECKER_LOG_INFO("systemd watchdog: %llu ms, fed every %llu ms",
                   static_cast<unsigned long long>(options_.systemd.watchdogUsec() / 1000),
                   static_cast<unsigned long long>(every));
}

JobRunner* Supervisor::runnerFor(const JobDefinition& job) {
  if (!job.system()) {
    return job.settings().isolation == Isolation::batch && isProbeType(job.type()) ? &batch_ : &engine_.workerRunner();
  }
  // The email self-check runs when there is a mailer that can send; the
  // peer checks when there is peerd to ask.
  if (job.type() == "email_selfcheck" && mail_.runsSelfCheck()) return &mail_;
  if (job.type() == "peer" && peers_.enabled()) return &peers_;
  return nullptr;
}

void Supervisor::armTimer(std::optional<uint64_t> delayMs) {
  if (stopping_ || !delayMs) return;
  uv_timer_start(&tick_, [](uv_timer_t* t) { owner(t)->onTick(); }, *delayMs, 0);
}

void Supervisor::onTick() {
  uv_update_time(loop_);
  armTimer(engine_.tick());
}

void Supervisor::onRunEnded(bool workerRun) {
  if (workerRun && engine_.running() == 0 && !loggedIdleFds_) {
    // The first moment with no run in flight, after at least one run: every
    // lazily opened fd (libuv keeps /dev/null once it has spawned) exists
    // and no run holds a pipe. The baseline a leak would grow from.
    loggedIdleFds_ = true;
    CHECKER_LOG_INFO("idle after the first runs; open fds: %d", countOwnFds());
  }
  finishStopIfIdle();
}

void Supervisor::beginStop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  CHECKER_LOG_INFO("stopping (%s): %zu run(s) in progress get %u ms", why, engine_.running(), options_.stopGraceMs);
  options_.systemd.stopping(std::string("stopping (") + why + ")");
  uv_timer_stop(&tick_);
  alertResend_.stop();
  engine_.stop();
  uv_timer_start(&stopGrace_, [](uv_timer_t* t) {
    Supervisor* self = owner(t);
    CHECKER_LOG_WARN("stop grace period over: killing %zu run(s)", self->engine_.running());
    self->engine_.killAll();
  }, options_.stopGraceMs, 0);
  // A self-check or a peer query has no process to wait for; its answer is
  // simply not read.
  mail_.endRunUnrecorded("the supervisor stops; not recorded");
  peers_.endRunsUnrecorded("the supervisor stops");
  finishStopIfIdle();
}

void Supervisor::finishStopIfIdle() {
  if (!stopping_ || engine_.running() > 0 || closed_) return;
  // The probe worker ends once its stdin closes (it holds no probe now);
  // this comes back here when it has, so its cgroup is cleaned up below.
  batch_.stop();
  if (batch_.workerAlive()) return;
  flushState();
  // Run cgroups still being emptied: their processes were SIGKILLed; give
  // the kernel a bounded moment so none outlives the supervisor.
  launcher_.finishCleanups();
  // Counted before the launcher's socket closes, to compare with the idle
  // count logged after the first runs (a leak is the difference).
  int openFds = countOwnFds();
  closeHandles();
  CHECKER_LOG_INFO("stopped: %llu run(s) finished, %llu overrun(s); open fds: %d",
                   static_cast<unsigned long long>(engine_.stats().runsFinished),
                   static_cast<unsigned long long>(engine_.stats().overruns), openFds);
}

void Supervisor::closeHandles() {
  closed_ = true;
  forEachHandle(tick_, flush_, stateBeat_, stopGrace_, watchdog_, sigterm_, sigint_, sighup_, [](uv_handle_t* h) {
    if (!uv_is_closing(h)) uv_close(h, nullptr);
  });
  if (control_) control_->close();
  launcher_.stop();
  alertResend_.close();
  gate_.close();
  mail_.close();
  peers_.close();
}

void Supervisor::notifyReadyIfUp() {
  if (notifiedReady_ || !launcherWasReady_ || (peers_.enabled() && !peers_.listeningReported())) return;
  notifiedReady_ = true;
  std::string status = "scheduling " + std::to_string(engine_.scheduled()) + " job(s)";
  if (options_.systemd.enabled() && !options_.systemd.ready(status)) {
    CHECKER_LOG_WARN("systemd: cannot send READY=1: %s", std::strerror(errno));
  }
  CHECKER_LOG_INFO("ready: %s", status.c_str());
}

void Supervisor::writeJobList() {
  std::vector<ListedJob> listed;
  engine_.forEachLiveJob([&](const JobDefinition& job) { listed.push_back(listedJob(job)); });
  writer_.setJobList(std::move(listed));
  writer_.setChannels(configuredChannels(config_));
}

void Supervisor::scheduleFlush() {
  // Runs that finish within kFlushDelayMs share one transaction (one fsync,
  // which blocks the loop): under load that is the difference between a
  // commit per finished run and twenty a second. A run's state is durable
  // within that delay of its end. A notice is not kept waiting for it: it
  // is committed on the loop's next turn, together with whatever finished
  // meanwhile (in a storm of failures, runs pile up during each commit's
  // fsync, so commits stay one at a time however many fail).
  uint64_t delay = writer_.noticeWaiting() && !flushRetrying_ ? 0 : kFlushDelayMs;
  bool active = uv_is_active(reinterpret_cast<uv_handle_t*>(&flush_));
  if (!active || (delay == 0 && uv_timer_get_due_in(&flush_) > 0)) {
    uv_timer_start(&flush_, [](uv_timer_t* t) { owner(t)->flushState(); }, delay, 0);
  }
}

void Supervisor::flushState() {
  try {
    writer_.flush(clock_.wallMs());
    flushRetrying_ = false;
    engine_.stats().outboxEntries = writer_.outboxEntriesWritten();
    mail_.takeNewOutbox();
  } catch (const std::exception& e) {
    CHECKER_LOG_ERROR("state: could not write %zu finished run(s), retrying in 1 s: %s", writer_.pending(), e.what());
    flushRetrying_ = true;  // not sooner for a notice: the disk is the trouble
    if (!closed_) uv_timer_start(&flush_, [](uv_timer_t* t) { owner(t)->flushState(); }, 1000, 0);
  }
}

}  // namespace checker
