#pragma once
// The supervisor's side of checker-mailer: spawns it with uv_spawn
// (`checker-mailer -c CONFIG --parent-pid=PID`, control socket on fd 3),
// exchanges framed Cap'n Proto messages with it over a stream socket pair
// on the loop (ipc/mailer.capnp), and restarts it with backoff when it
// dies, logging why. What the mailer was doing when it died is the
// listener's to redo (the outbox resends what was not acked).
#include <capnp/message.h>
#include <uv.h>

#include <cstdint>
#include <string>

#include "ipc/framing.h"
#include "ipc/mailer.capnp.h"
#include "supervisor/helper_child.h"

namespace checker {

class MailerChild {
 public:
  class Listener {
   public:
    virtual void onMailerReady() = 0;                          // started or restarted
    virtual void onMailerMessage(ipc::FromMailer::Reader message) = 0;
    virtual void onMailerLost() = 0;                           // nothing sent before this is answered
   protected:
    ~Listener() = default;
  };

  MailerChild(uv_loop_t* loop, std::string mailerPath, std::string configPath, Listener* listener);
  ~MailerChild();
  MailerChild(const MailerChild&) = delete;
  MailerChild& operator=(const MailerChild&) = delete;

  // Spawns the mailer; false with *error when it cannot be spawned at all.
  bool start(std::string* error);
  bool ready() const { return control_ != nullptr && !stopping_; }
  // Sends one message; false when there is no mailer to take it now.
  bool send(capnp::MessageBuilder& message);
  // Ends the mailer (it exits when its socket closes); handles close.
  void stop();

  int pid() const { return process_ != nullptr ? process_->pid : 0; }
  uint64_t restarts() const { return restarts_; }

 private:
  void onExit(int64_t status, int signal);
  void onBytes(const char* data, size_t size);
  void closeControl();
  void scheduleRestart();

  uv_loop_t* loop_;
  std::string mailerPath_, configPath_;
  Listener* listener_;
  uv_process_t* process_ = nullptr;  // one per spawn: a closing handle is never reused
  uv_pipe_t* control_ = nullptr;
  ipc::FrameReader reader_;
  uv_timer_t restartTimer_{};
  ChildBackoff backoff_;
  uint64_t startedMonoMs_ = 0;
  uint64_t restarts_ = 0;
  bool stopping_ = false;
};

}  // namespace checker
