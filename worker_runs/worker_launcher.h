#pragma once
// The supervisor's side of the worker launcher (worker/launcher.h): starts
// `checker-worker --launcher` with uv_spawn, talks to it over a
// SOCK_SEQPACKET socket pair on the loop (ipc/launcher.capnp); keeping it
// running (restarts with backoff, the log of its end) is
// process/supervised_child.h's.
//
// A run hands over the worker ends of its three pipes with launch(); the
// launcher answers started (pid), then exited (status, signal). If the
// launcher dies in between, the worker died with it (its death signal) and
// the run hears launcherLost instead of an exit.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>

#include "common/result.h"
#include "worker_runs/builtin_network_types.h"
#include "process/restart_backoff.h"
#include "process/supervised_child.h"
#include "common/unique_fd.h"

namespace checker {

class WorkerLauncher {
 public:
  // What one run hears from the launcher; each run hears exactly one of
  // exited, notStarted or launcherLost, and nothing after it.
  class Listener {
   public:
    virtual void onLaunched(int pid) = 0;
    virtual void onLaunchedRunExited(int64_t exitStatus, int termSignal) = 0;
    virtual void onNotLaunched(const std::string& error) = 0;
    virtual void onLauncherLost() = 0;

   protected:
    ~Listener() = default;
  };

  // STABLE_MS: how long the launcher must stay up for the restart delay to
  // start over (RestartBackoff).
  WorkerLauncher(uv_loop_t* loop, std::string workerPath, uint64_t stableMs = RestartBackoff::kStableMs);
  ~WorkerLauncher();
  WorkerLauncher(const WorkerLauncher&) = delete;
  WorkerLauncher& operator=(const WorkerLauncher&) = delete;

  // Spawns the launcher. An Error when it could not be spawned at all (a
  // missing worker binary): the caller's start fails.
  Result<> start();
  // Is there a launcher to take runs now? (Not while one is restarting.)
  bool ready() const { return control_.valid() && !child_.stopping(); }
  // Called each time a restarted launcher is ready for runs again.
  void setOnReady(std::function<void()> onReady) { onReady_ = std::move(onReady); }

  // Asks for run RUNID, handing over FDS (the worker's stdin, stdout,
  // stderr), which are closed here whatever happens. LISTENER hears the
  // rest from the loop. An Error when there is no launcher now (nothing
  // is heard then). KIND: the spare the run's type needs
  // (worker_runs/builtin_network_types.h).
  Result<> launch(uint64_t runId, const int fds[3], Listener* listener, SpareKind kind = SpareKind::isolated);
  // SIGKILLs the run's process group (through the launcher, which knows
  // whether the pid is still the worker's).
  void kill(uint64_t runId);

  // Ends the launcher: it kills what still runs and exits; its handles
  // close. The loop can end once every run has heard the end.
  void stop();

  uint64_t restarts() const { return child_.restarts(); }
  // The delay before the last restart after a death (0 before any).
  uint64_t restartDelayMs() const { return child_.restartDelayMs(); }
  int pid() const { return child_.pid(); }

 private:
  struct Outgoing {
    std::string bytes;
    UniqueFd fds[3];  // closed once the launcher has its copies, or when dropped
    int fdCount;
  };

  void onChildStarted(UniqueFd control, bool restarted);
  void onChildExited();
  void onControlEvent(int status, int events);
  void receive();
  void flushOutgoing();
  void updatePoll();
  void closeControl();
  void loseAll();
  void enqueue(std::string bytes, const int* fds, int fdCount);

  uv_loop_t* loop_;
  std::function<void()> onReady_;
  uv_poll_t poll_{};
  bool pollOpen_ = false;
  UniqueFd control_;
  SupervisedChild child_;
  std::deque<Outgoing> outgoing_;
  std::unordered_map<uint64_t, Listener*> runs_;
};

}  // namespace checker
