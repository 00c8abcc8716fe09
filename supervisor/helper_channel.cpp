#include "supervisor/helper_channel.h"

#include <signal.h>
#include <sys/socket.h>

#include "common/log.h"
#include "process/owned_write.h"

namespace checker {
namespace {

constexpr size_t kMaxReplyBytes = 64 * 1024;  // a result is a few hundred bytes

HelperChannel* owner(void* data) { return static_cast<HelperChannel*>(data); }

// `PROGRAM -c CONFIG --parent-pid=PID`, control socket on fd 3.
SupervisedChild::Options childOptions(std::string name, std::string programPath, std::string configPath,
                                      uint64_t stableMs) {
  std::string program = programPath.substr(programPath.rfind('/') + 1);
  SupervisedChild::Options options;
  options.name = std::move(name);
  options.args = {program, "-c", std::move(configPath)};
  options.spawnLabel = programPath;
  options.path = std::move(programPath);
  options.socketType = SOCK_STREAM;
  options.stableMs = stableMs;
  return options;
}

void allocate(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char buffer[16 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

}  // namespace

HelperChannel::HelperChannel(uv_loop_t* loop, std::string name, std::string programPath, std::string configPath,
                             Listener* listener, uint64_t stableMs)
    : loop_(loop),
      name_(name),
      listener_(listener),
      reader_(kMaxReplyBytes),
      child_(loop, childOptions(std::move(name), std::move(programPath), std::move(configPath), stableMs),
             {[this](UniqueFd control, bool restarted) { onChildStarted(std::move(control), restarted); },
              [this] { onChildExited(); }}) {}

HelperChannel::~HelperChannel() = default;  // stop() and the loop's end closed everything

Result<> HelperChannel::start() { return child_.start(); }

void HelperChannel::onChildStarted(UniqueFd control, bool) {
  control_ = new uv_pipe_t{};
  uv_pipe_init(loop_, control_, 0);
  uv_pipe_open(control_, control.release());  // the pipe handle closes it
  control_->data = this;
  reader_ = ipc::FrameReader(kMaxReplyBytes);
  uv_read_start(reinterpret_cast<uv_stream_t*>(control_), allocate, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    HelperChannel* self = owner(s->data);
    if (n > 0) self->onBytes(b->base, static_cast<size_t>(n));
    if (n < 0) {
      // Closed its end: it is exiting; its end is logged and it restarts.
      self->closeControl();
      self->listener_->onChildLost(*self);
    }
  });
  listener_->onChildReady(*this);
}

bool HelperChannel::send(capnp::MessageBuilder& message) {
  if (!ready()) return false;
  return writeOwned(reinterpret_cast<uv_stream_t*>(control_), ipc::encode(message)) == 0;
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
    child_.kill(SIGKILL);
    closeControl();
    listener_->onChildLost(*this);
  }
}

void HelperChannel::closeControl() {
  if (control_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(control_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  control_ = nullptr;
}

void HelperChannel::onChildExited() {
  bool wasConnected = control_ != nullptr;
  closeControl();
  if (wasConnected) listener_->onChildLost(*this);
}

void HelperChannel::restart() {
  // Not running (a restart is pending): it reads the config when it starts.
  if (child_.stopping() || !child_.running() || control_ == nullptr) return;
  child_.restartSoon();
  closeControl();  // it reads end-of-file and exits; it is started again at once
  listener_->onChildLost(*this);
}

void HelperChannel::stop() {
  if (child_.stopping()) return;
  child_.stop();
  closeControl();  // the child reads end-of-file and exits; its end is still heard
}

}  // namespace checker
