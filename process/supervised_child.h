#pragma once
// One long-lived child of checkerd (the worker launcher, checker-mailer,
// checker-peerd) kept running: spawned the one way (spawnHelperChild: an
// empty environment, its own session, its control socket on fd 3,
// `--parent-pid=PID` appended for its death-signal check), its end logged,
// and restarted after RestartBackoff's delay; a restart asked for
// (restartSoon) is made at once. What travels over the control socket is
// the owner's: it gets our end of the socket at each start and hears each
// end, so a run or a message in flight is the owner's to account for.
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "process/restart_backoff.h"
#include "common/unique_fd.h"

namespace checker {

class SupervisedChild {
 public:
  // What the owner hears.
  struct Events {
    // The child is up: CONTROL is our end of its control socket
    // (non-blocking, close-on-exec). RESTARTED: not the first start().
    std::function<void(UniqueFd control, bool restarted)> started;
    // Its process ended (the restart, if any, is scheduled after this).
    std::function<void()> exited;
  };

  struct Options {
    std::string name;               // for the log: "mailer", "worker launcher"
    std::string path;               // the program
    std::vector<std::string> args;  // argv[0] included; --parent-pid=PID is appended
    std::string spawnLabel;         // for a spawn error: "uv_spawn(LABEL): ..."
    int socketType = SOCK_STREAM;   // of the control socket pair (SOCK_SEQPACKET: the launcher)
    uint64_t stableMs = RestartBackoff::kStableMs;
  };

  SupervisedChild(uv_loop_t* loop, Options options, Events events);
  ~SupervisedChild();
  SupervisedChild(const SupervisedChild&) = delete;
  SupervisedChild& operator=(const SupervisedChild&) = delete;

  // Spawns the child; events.started runs before this returns.
  // An error when it cannot be spawned at all (a missing program).
  Result<> start();
  // Its next end was asked for (its control socket is being closed so
  // that it re-reads its config): start it again at once, without backoff.
  void restartSoon();
  // Sends SIGNAL to the child, if it runs.
  void kill(int signal);
  // No more restarts; its timer closes. The child itself ends when the
  // owner closes its control socket; its end is still heard.
  void stop();

  bool running() const { return process_ != nullptr; }
  bool stopping() const { return stopping_; }
  int pid() const { return process_ != nullptr ? process_->pid : 0; }
  uint64_t restarts() const { return restarts_; }
  // The delay before the last restart after a death (0 before any).
  uint64_t restartDelayMs() const { return backoff_.delayMs(); }

 private:
  Result<> spawn(bool restarted);
  void onExit(int64_t status, int signal);
  void scheduleRestart(uint64_t delayMs);
  void restartNow();

  uv_loop_t* loop_;
  Options options_;
  Events events_;
  uv_process_t* process_ = nullptr;  // one per spawn: a closing handle is never reused
  uv_timer_t restartTimer_{};
  RestartBackoff backoff_;
  uint64_t restarts_ = 0;
  bool stopping_ = false;
  bool restartRequested_ = false;
};

}  // namespace checker
