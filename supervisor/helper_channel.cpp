#include "supervisor/helper_channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/sys_error.h"

namespace checker {
namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024;  // a result is a few hundred bytes

HelperChannel* owner(void* data) { return static_cast<HelperChannel*>(data); }

void allocate(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char buffer[16 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

}  // namespace

HelperChannel::HelperChannel(uv_loop_t* loop, std::string name, std::string programPath, std::string configPath,
                             Listener* listener, uint64_t stableMs)
    : loop_(loop),
      name_(std::move(name)),
      programPath_(std::move(programPath)),
      configPath_(std::move(configPath)),
      listener_(listener),
      reader_(kMaxReplyBytes),
      backoff_(stableMs) {
  uv_timer_init(loop_, &restartTimer_);
  restartTimer_.data = this;
}

HelperChannel::~HelperChannel() = default;  // stop() and the loop's end closed everything

bool HelperChannel::start(std::string* error) {
  if (!spawn(error)) return false;
  listener_->onChildReady(*this);
  return true;
}

bool HelperChannel::spawn(std::string* error) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    *error = describeErrno("socketpair", "AF_UNIX, SOCK_STREAM", errno);
    return false;
  }
  auto* process = new uv_process_t{};
  process->data = this;
  std::string program = programPath_.substr(programPath_.rfind('/') + 1);
  int rc = spawnHelperChild(
      loop_, process, programPath_, {program, "-c", configPath_, "--parent-pid=" + std::to_string(::getpid())}, pair[1],
      [](uv_process_t* p, int64_t status, int signal) { owner(p->data)->onExit(status, signal); });
  ::close(pair[1]);
  if (rc != 0) {
    ::close(pair[0]);
    uv_close(reinterpret_cast<uv_handle_t*>(process), [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    *error = std::string("uv_spawn(") + programPath_ + "): " + uv_strerror(rc);
    return false;
  }
  process_ = process;
  control_ = new uv_pipe_t{};
  uv_pipe_init(loop_, control_, 0);
  uv_pipe_open(control_, pair[0]);
  control_->data = this;
  reader_ = ipc::FrameReader(kMaxReplyBytes);
  uv_read_start(reinterpret_cast<uv_stream_t*>(control_), allocate, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    HelperChannel* self = owner(s->data);
    if (n > 0) self->onBytes(b->base, static_cast<size_t>(n));
    if (n < 0) {
      // Closed its end: it is exiting; onExit logs it and restarts it.
      self->closeControl();
      self->listener_->onChildLost(*self);
    }
  });
  backoff_.started(uv_now(loop_));
  CHECKER_LOG_INFO("%s started (pid %d)", name_.c_str(), process_->pid);
  return true;
}

bool HelperChannel::send(capnp::MessageBuilder& message) {
  if (!ready()) return false;
  auto* bytes = new std::string(ipc::encode(message));
  auto* request = new uv_write_t;
  request->data = bytes;
  uv_buf_t buf = uv_buf_init(bytes->data(), static_cast<unsigned>(bytes->size()));
  int rc = uv_write(request, reinterpret_cast<uv_stream_t*>(control_), &buf, 1, [](uv_write_t* r, int) {
    delete static_cast<std::string*>(r->data);
    delete r;
  });
  if (rc != 0) {
    delete bytes;
    delete request;
    return false;
  }
  return true;
}

void HelperChannel::onBytes(const char* data, size_t size) {
  ipc::FrameStatus status = reader_.feed(data, size);
  while (status == ipc::FrameStatus::ready) {
    auto message = reader_.take();
    try {
      listener_->onChildMessage(*this, *message);
    } catch (const std::exception& e) {
      status = ipc::FrameStatus::error;
      CHECKER_LOG_ERROR("%s: bad message: %s; restarting it", name_.c_str(), e.what());
      break;
    }
    if (control_ == nullptr) return;  // the listener stopped us
    status = reader_.status();
  }
  if (status == ipc::FrameStatus::error) {
    if (!reader_.error().empty()) {
      CHECKER_LOG_ERROR("%s: bad bytes: %s; restarting it", name_.c_str(), reader_.error().c_str());
    }
    if (process_ != nullptr) uv_process_kill(process_, SIGKILL);
    closeControl();
    listener_->onChildLost(*this);
  }
}

void HelperChannel::closeControl() {
  if (control_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(control_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  control_ = nullptr;
}

void HelperChannel::onExit(int64_t status, int signal) {
  int pid = process_->pid;
  uv_close(reinterpret_cast<uv_handle_t*>(process_), [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
  process_ = nullptr;
  bool wasConnected = control_ != nullptr;
  closeControl();
  if (wasConnected) listener_->onChildLost(*this);
  if (stopping_) return;
  uint64_t lived = backoff_.livedMs(uv_now(loop_));
  if (restartRequested_) {
    restartRequested_ = false;
    CHECKER_LOG_INFO("%s (pid %d) %s as asked; starting it again", name_.c_str(), pid,
                     describeChildEnd(status, signal).c_str());
    uv_timer_start(&restartTimer_, [](uv_timer_t* t) { owner(t->data)->restartNow(); }, 0, 0);
    return;
  }
  backoff_.exited(uv_now(loop_));
  CHECKER_LOG_ERROR("%s (pid %d) %s after %llu ms; restarting in %llu ms", name_.c_str(), pid,
                    describeChildEnd(status, signal).c_str(),
                    static_cast<unsigned long long>(lived), static_cast<unsigned long long>(backoff_.delayMs()));
  scheduleRestart();
}

void HelperChannel::scheduleRestart() {
  uv_timer_start(&restartTimer_, [](uv_timer_t* t) { owner(t->data)->restartNow(); }, backoff_.delayMs(), 0);
}

void HelperChannel::restartNow() {
  if (stopping_) return;
  ++restarts_;
  std::string error;
  if (!start(&error)) {
    backoff_.failedStart();
    CHECKER_LOG_ERROR("%s: %s; trying again in %llu ms", name_.c_str(), error.c_str(),
                      static_cast<unsigned long long>(backoff_.delayMs()));
    scheduleRestart();
  }
}

void HelperChannel::restart() {
  // Not running (a restart is pending): it reads the config when it starts.
  if (stopping_ || process_ == nullptr || control_ == nullptr) return;
  restartRequested_ = true;
  closeControl();  // it reads end-of-file and exits; onExit starts it again
  listener_->onChildLost(*this);
}

void HelperChannel::stop() {
  if (stopping_) return;
  stopping_ = true;
  uv_timer_stop(&restartTimer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&restartTimer_), nullptr);
  closeControl();  // the child reads end-of-file and exits; onExit closes its handle
}

}  // namespace checker
