#pragma once
// The supervisor's loop logic: schedules every configured job, runs each due
// job in its own worker (never two runs of one job at once), classifies each
// run, applies the notification policy and writes the outcome to the state.
//
// Job life is a small state machine (one place: supervisor_runs.cpp):
//
//   state     event      -> action / next state
//   idle      due        -> start a worker / running (or wait for a slot)
//   running   due        -> count and log an overrun / running
//   running   finished   -> classify, policy, queue the state write / idle
//   running   stop       -> after the grace period kill the group / running
//   *         finished while stopping -> nothing recorded for an interrupted run
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "state/state_store.h"
#include "config/job_catalog.h"
#include "ipc/mailer.capnp.h"
#include "ipc/peerd.capnp.h"
#include "supervisor/helper_channel.h"
#include "state/mail_health.h"
#include "supervisor/outbox_delivery.h"
#include "worker_runs/run_reply.h"
#include "state/run_metrics.h"
#include "worker_runs/run_request.h"
#include "supervisor/scheduler.h"
#include "state/state_writer.h"
#include "supervisor/systemd_notify.h"
#include "worker_runs/worker_launcher.h"
#include "worker_runs/worker_run.h"

namespace checker {

class ControlServer;
class RunCgroups;

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

struct SupervisorStats {
  uint64_t runsStarted = 0;
  uint64_t runsFinished = 0;
  uint64_t overruns = 0;
  uint64_t spawnFailures = 0;
  uint64_t runsLostWithLauncher = 0;  // the launcher died under them: not recorded
  uint64_t outboxEntries = 0;
  RunMetrics runs;  // recorded runs by outcome and duration, for peerd's /metrics
};

class Supervisor final : private HelperChannel::Listener {
 public:
  Supervisor(uv_loop_t* loop, const Config& config, std::vector<JobDefinition> jobs, StateStore& store,
             SupervisorOptions options);
  ~Supervisor();

  // Loads state, prepares the sandbox, schedules every job and installs the
  // SIGTERM/SIGINT handlers. Throws on what prevents starting at all.
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

  const SupervisorStats& stats() const { return stats_; }
  size_t runningCount() const { return running_; }

 private:
  enum class Phase { idle, running };
  struct Job {
    explicit Job(JobDefinition definition) : def(std::move(definition)) {}
    JobDefinition def;
    int64_t phaseMs = 0;
    uint32_t generation = 0;
    Phase phase = Phase::idle;
    bool waiting = false;       // due, but no run slot was free
    int64_t waitingDueMs = 0;
    WorkerRun* run = nullptr;
    bool interrupted = false;   // killed by our own shutdown: not the job's fault
    bool retired = false;       // removed by a reload: never scheduled again
    uint64_t runId = 0;
    JobRecord record;
  };

  void scheduleAll(int64_t now);
  void onTick();
  void armTimer(int64_t now);
  void onDue(size_t index, int64_t dueMs);
  void startRun(size_t index, int64_t dueMs);
  void startWaiting();
  void onRunFinished(size_t index, uint64_t runId, WorkerRunReport&& report);
  void recordRun(Job& job, WorkerRunReport& report);
  void recordOutcome(Job& job, const ClassifiedRun& run, const ReplyFacts& facts, int64_t startedUnixMs,
                     uint32_t durationMs, std::optional<PeerRecord> peer = std::nullopt);
  // The email self-check (supervisor_selfcheck.cpp): a system job the mailer runs.
  bool isSelfCheck(const Job& job) const;
  void startSelfCheck(size_t index);
  void onSelfCheckResult(ipc::SelfCheckResult::Reader result);
  void endSelfCheckUnrecorded(const char* why);
  void noteSelfCheck(bool ok, const std::string& message);
  void onMailerReady();
  void onMailerMessage(ipc::DecodedMessage& message);
  void onMailerLost();
  // Peering (supervisor_peers.cpp): peerd answers peers with the health
  // pushed here, and asks peers for the "peer NAME" system jobs.
  bool isPeerCheck(const Job& job) const;
  void startPeerCheck(size_t index);
  void onPeerAnswer(ipc::PeerAnswer::Reader answer);
  void expirePeerQueries();
  void endPeerQueriesUnrecorded(const char* why);
  void pushHealth();
  void pushJobList();  // the jobs run now, for peerd's page and /metrics
  void onPeerdReady();
  void onPeerdMessage(ipc::DecodedMessage& message);
  void onPeerdLost();
  std::vector<std::string> recipientsOf(const Job& job) const;
  // HelperChannel::Listener: the mailer and peerd
  void onChildReady(HelperChannel& child) override;
  void onChildMessage(HelperChannel& child, ipc::DecodedMessage& message) override;
  void onChildLost(HelperChannel& child) override;
  // READY=1 once the worker launcher is ready and peerd has reported its
  // listening socket (or failure to get one): the children are up.
  void notifyReadyIfUp();
  void releaseSandbox(uint64_t runId);
  void retryCleanups();
  void scheduleFlush();
  void flushState();
  void finishStopIfIdle();
  void closeHandles();

  void startReloadRead();
  void onReloadRead();
  ReloadResult applyReload(const std::string& trigger, LoadedConfig& loaded);
  void retireJob(size_t index);
  void restartChangedHelpers(const Config& before);

  uv_loop_t* loop_;
  Config config_;  // replaced by a reload
  StateStore& store_;
  SupervisorOptions options_;
  std::vector<Job> jobs_;
  DueQueue queue_;
  std::deque<size_t> waiting_;
  StateWriter writer_;
  std::unique_ptr<RunCgroups> cgroups_;
  std::unique_ptr<WorkerLauncher> launcher_;  // forks every run's worker
  std::unique_ptr<OutboxDelivery> outbox_;    // hands the outbox to the mailer
  std::unique_ptr<HelperChannel> mailer_;
  struct SelfCheckRun {
    size_t job = SIZE_MAX;   // the system:email job, while a check runs
    std::string token;
    int64_t startedUnixMs = 0;
    uint64_t startedMonoMs = 0;
  } selfCheck_;
  uv_timer_t selfCheckGuard_{};  // a mailer that never answers fails the check
  std::optional<SelfCheckState> lastSelfCheck_;
  bool mailProblem_ = false;     // what peers were last told
  std::unique_ptr<HelperChannel> peerd_;
  struct PeerQueryRun {
    size_t job;
    int64_t startedUnixMs;
    uint64_t startedMonoMs;
    uint64_t deadlineMonoMs;  // past this without an answer: recorded as no answer
  };
  std::unordered_map<uint64_t, PeerQueryRun> peerQueries_;  // by query id
  uv_timer_t peerGuard_{};     // expires peer queries peerd did not answer
  uv_timer_t heartbeat_{};     // pushes health to peerd
  uv_timer_t watchdog_{};      // feeds systemd's watchdog from the loop
  bool launcherWasReady_ = false;
  bool peerdReported_ = false;
  bool notifiedReady_ = false;
  std::string workDir_;
  size_t running_ = 0;
  uint64_t nextRunId_ = 1;
  bool stopping_ = false;
  bool closed_ = false;
  bool loggedIdleFds_ = false;
  int64_t lastTickWallMs_ = 0;
  uint64_t lastTickMonoMs_ = 0;
  SupervisorStats stats_;
  uv_timer_t tick_{};
  uv_timer_t flush_{};
  uv_timer_t stateBeat_{};      // writes the state's heartbeat when nothing else does
  uv_timer_t stopGrace_{};
  uv_timer_t cleanupTimer_{};   // retries removal of run cgroups
  std::vector<uint64_t> pendingCleanups_;
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
