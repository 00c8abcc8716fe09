#pragma once
// checkerd's wiring: builds the run engine (supervisor/run_engine.h) with
// the loop's clock and the worker launcher, the alerting path, and the
// links to the two helper children (mail_link.h, peer_link.h); owns the
// state writer and its flush, the scheduling timer, the signals, systemd's
// notifications and the control socket; starts, reloads and stops them.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/job_catalog.h"
#include "state/state_store.h"
#include "state/state_writer.h"
#include "supervisor/alert_resend.h"
#include "supervisor/alerting.h"
#include "supervisor/mail_link.h"
#include "supervisor/notice_gate.h"
#include "supervisor/peer_link.h"
#include "supervisor/run_clock.h"
#include "supervisor/batch_runner.h"
#include "supervisor/run_engine.h"
#include "supervisor/silence_book.h"
#include "supervisor/systemd_notify.h"
#include "supervisor/worker_run_launcher.h"
#include "worker_runs/job_user.h"

namespace checker {

class ControlServer;

struct SupervisorOptions {
  std::string workerPath;
  std::string mailerPath;  // empty: no mailer; outbox entries wait in the state
  std::string peerdPath;   // empty: no peerd; peers are neither asked nor answered
  uint32_t maxConcurrentRuns = 256;
  uint32_t stopGraceMs = 10'000;  // running jobs get this long on SIGTERM
  // Who the workers become when checkerd is root (checkerd --job-user).
  JobUser jobUser = JobUser::byDefault();
  // Reads the config file again for a reload (SIGHUP, `checker reload`):
  // the config and its jobs, or its errors. Empty: reload is refused.
  std::function<LoadedConfig()> reloadConfig;
  // systemd's notification socket (READY, WATCHDOG, STOPPING); disabled
  // when checkerd was not started by systemd.
  SystemdNotifier systemd{"", 0};
  // Called as each run starts: (job index, due time, start time). For the
  // benchmark's lateness figures; empty in the daemon.
  std::function<void(size_t, int64_t, int64_t)> onRunStarted;
};

using SupervisorStats = RunStats;

class Supervisor final {
 public:
  Supervisor(uv_loop_t* loop, const Config& config, std::vector<JobDefinition> jobs, StateStore& store,
             SupervisorOptions options);
  ~Supervisor();

  // Loads state, prepares the sandbox, starts the children, schedules every
  // job and installs the signal handlers. Throws on what prevents starting.
  void start();
  // Graceful stop: no new runs; running ones get the grace period, then
  // their process groups are killed. The loop ends when all is closed.
  void beginStop(const char* why);

  // Re-reads the config (options.reloadConfig) on libuv's thread pool, so
  // that a plugin's slow describe never stalls the loop, then applies it on
  // the loop. Valid: jobs that remain keep their state and any run in
  // progress, new ones are scheduled, removed ones stop being scheduled (a
  // run in progress finishes, not recorded); the mailer and peerd restart if
  // their settings changed. Invalid: the running config stays. Logged, and
  // kept in the state for `checker status` either way; DONE (if any) gets
  // the result. A reload asked for while one is reading is done again after
  // it, so that it sees the file as it is after the request.
  struct ReloadResult {
    bool ok = false;
    std::string message;  // what changed, or every error (one per line)
  };
  using ReloadDone = std::function<void(const ReloadResult&)>;
  void reload(const char* trigger, ReloadDone done = nullptr);

  const SupervisorStats& stats() const { return engine_.stats(); }
  size_t runningCount() const { return engine_.running(); }

 private:
  // start(), step by step
  void startChildren();
  void initHandles();
  void listenForControl();
  void startWatchdog();
  JobRunner* runnerFor(const JobDefinition& job);

  void armTimer(std::optional<uint64_t> delayMs);
  void onTick();
  void onRunEnded(bool workerRun);
  // READY=1 once the worker launcher is ready and peerd has reported its
  // listening socket (or failure to get one): the children are up.
  void notifyReadyIfUp();
  // The jobs and channels run from now on into the next flush: `checker
  // status` and the page list them from the state (state/job_list.h,
  // state/channel_health.h).
  void writeJobList();
  void scheduleFlush();
  void flushState();
  void finishStopIfIdle();
  void closeHandles();

  // Reload (supervisor_reload.cpp)
  void startReloadRead();
  void onReloadRead();
  ReloadResult applyReload(const std::string& trigger, LoadedConfig& loaded);
  ReloadResult refuseReload(const std::string& trigger, const std::string& why);

  uv_loop_t* loop_;
  Config config_;  // replaced in place by a reload; the parts below refer to it
  StateStore& store_;
  SupervisorOptions options_;
  StateWriter writer_;
  LoopClock clock_;
  Alerting alerting_;
  WorkerRunLauncher launcher_;
  RunEngine engine_;
  BatchRunner batch_;  // isolation = batch jobs: probes in a probe worker
  MailLink mail_;
  AlertResend alertResend_;  // keeps failing jobs' Alertmanager alerts active
  NoticeGate gate_;          // what holds notices: quiet, blocked, flapping
  PeerLink peers_;
  SilenceBook silences_;  // maintenance windows and `checker silence`
  bool launcherWasReady_ = false;
  bool notifiedReady_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  bool loggedIdleFds_ = false;
  bool flushRetrying_ = false;  // the last flush failed: the next is in 1 s
  uv_timer_t tick_{};
  uv_timer_t flush_{};
  uv_timer_t stateBeat_{};  // writes the state's heartbeat when nothing else does
  uv_timer_t stopGrace_{};
  uv_timer_t watchdog_{};   // feeds systemd's watchdog from the loop
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
  std::unique_ptr<ControlServer> control_;  // `checker reload` and friends
  struct ReloadRead {
    uv_work_t work{};
    bool inFlight = false;
    std::string trigger;              // of the read in flight
    std::vector<ReloadDone> waiting;  // answered by the read in flight
    std::string nextTrigger;          // asked for during it: read again after
    std::vector<ReloadDone> next;
    bool again = false;
    // Written on the pool thread, read on the loop once the read is over.
    LoadedConfig loaded;
    std::string failure;  // reloadConfig threw
  } reloadRead_;
};

// Open fds of this process, logged after the first run and at stop so that
// a leak shows as a difference between the two lines.
int countOwnFds();

}  // namespace checker
