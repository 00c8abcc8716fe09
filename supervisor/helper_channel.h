#pragma once
// The supervisor's side of a long-lived helper child that talks framed Cap'n
// Proto over a stream socket pair (checker-mailer: ipc/mailer.capnp;
// checker-peerd: ipc/peerd.capnp): spawns it with uv_spawn (`PROGRAM -c
// CONFIG --parent-pid=PID`, control socket on fd 3), reads and writes its
// messages on the loop; keeping it running (restarts with backoff, the log
// of its end) is process/supervised_child.h's. What the child was doing when it died is the listener's to redo
// (the outbox resends what was not acked).
#include <capnp/message.h>
#include <uv.h>

#include <cstdint>
#include <string>

#include "ipc/framing.h"
#include "process/restart_backoff.h"
#include "process/supervised_child.h"

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
  // wait in the socket); an Error when it cannot be spawned at all.
  Result<> start();
  bool ready() const { return control_ != nullptr && !child_.stopping(); }
  // Sends one message; false when there is no child to take it now.
  bool send(capnp::MessageBuilder& message);
  // Ends the child (it exits when its socket closes); handles close.
  void stop();
  // Ends the child and starts it again at once (no backoff): it re-reads
  // the config. What it was doing is lost to the listener (onChildLost).
  void restart();

  int pid() const { return child_.pid(); }
  uint64_t restarts() const { return child_.restarts(); }
  // The delay before the last restart after a death (0 before any).
  uint64_t restartDelayMs() const { return child_.restartDelayMs(); }

 private:
  void onChildStarted(UniqueFd control, bool restarted);
  void onChildExited();
  void onBytes(const char* data, size_t size);
  void closeControl();

  uv_loop_t* loop_;
  std::string name_;
  Listener* listener_;
  uv_pipe_t* control_ = nullptr;
  ipc::FrameReader reader_;
  SupervisedChild child_;
};

}  // namespace checker
