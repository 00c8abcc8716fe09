#pragma once
// The supervisor's side of a long-lived helper child that talks framed Cap'n
// Proto over a stream socket pair (checker-mailer: ipc/mailer.capnp;
// checker-peerd: ipc/peerd.capnp): spawns it with uv_spawn (`PROGRAM -c
// CONFIG --parent-pid=PID`, control socket on fd 3), reads and writes its
// messages on the loop, and restarts it with backoff when it dies, logging
// why. What the child was doing when it died is the listener's to redo
// (the outbox resends what was not acked).
#include <capnp/message.h>
#include <uv.h>

#include <cstdint>
#include <string>

#include "ipc/framing.h"
#include "process/helper_child.h"
#include "process/restart_backoff.h"

namespace checker {

class HelperChannel {
 public:
  class Listener {
   public:
    virtual void onChildReady(HelperChannel& child) = 0;  // started or restarted
    virtual void onChildMessage(HelperChannel& child, ipc::DecodedMessage& message) = 0;
    virtual void onChildLost(HelperChannel& child) = 0;   // nothing sent before this is answered
   protected:
    ~Listener() = default;
  };

  // NAME: for the log ("mailer", "peerd"). STABLE_MS: how long the child
  // must stay up for the restart delay to start over (RestartBackoff).
  HelperChannel(uv_loop_t* loop, std::string name, std::string programPath, std::string configPath, Listener* listener,
                uint64_t stableMs = RestartBackoff::kStableMs);
  ~HelperChannel();
  HelperChannel(const HelperChannel&) = delete;
  HelperChannel& operator=(const HelperChannel&) = delete;

  // Spawns the child and tells the listener it is ready (messages sent now
  // wait in the socket); false with *error when it cannot be spawned at all.
  bool start(std::string* error);
  bool ready() const { return control_ != nullptr && !stopping_; }
  // Sends one message; false when there is no child to take it now.
  bool send(capnp::MessageBuilder& message);
  // Ends the child (it exits when its socket closes); handles close.
  void stop();
  // Ends the child and starts it again at once (no backoff): it re-reads
  // the config. What it was doing is lost to the listener (onChildLost).
  void restart();

  int pid() const { return process_ != nullptr ? process_->pid : 0; }
  uint64_t restarts() const { return restarts_; }
  // The delay before the last restart after a death (0 before any).
  uint64_t restartDelayMs() const { return backoff_.delayMs(); }

 private:
  bool spawn(std::string* error);
  void onExit(int64_t status, int signal);
  void onBytes(const char* data, size_t size);
  void closeControl();
  void scheduleRestart();
  void restartNow();

  uv_loop_t* loop_;
  std::string name_, programPath_, configPath_;
  Listener* listener_;
  uv_process_t* process_ = nullptr;  // one per spawn: a closing handle is never reused
  uv_pipe_t* control_ = nullptr;
  ipc::FrameReader reader_;
  uv_timer_t restartTimer_{};
  RestartBackoff backoff_;
  uint64_t restarts_ = 0;
  bool stopping_ = false;
  bool restartRequested_ = false;  // restart(): the exit is expected
};

}  // namespace checker
