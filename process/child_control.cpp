#include "process/child_control.h"

#include <exception>

#include "common/log.h"
#include "process/owned_write.h"

namespace checker::ipc {
namespace {

void allocate(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char buffer[64 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

}  // namespace

ChildControl::ChildControl(uv_loop_t* loop, int fd, size_t maxFrameBytes,
                           std::function<void(DecodedMessage&)> onMessage, std::function<void(const char*)> onEnd)
    : reader_(maxFrameBytes), onMessage_(std::move(onMessage)), onEnd_(std::move(onEnd)) {
  uv_pipe_init(loop, &pipe_, 0);
  uv_pipe_open(&pipe_, fd);
  pipe_.data = this;
}

void ChildControl::start() {
  uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), allocate, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    auto* self = static_cast<ChildControl*>(s->data);
    if (n > 0) self->onBytes(b->base, static_cast<size_t>(n));
    if (n < 0) self->end(n == UV_EOF ? "the supervisor closed the control socket" : uv_strerror(static_cast<int>(n)));
  });
}

void ChildControl::onBytes(const char* data, size_t size) {
  FrameStatus status = reader_.feed(data, size);
  while (status == FrameStatus::ready && !closed_) {
    std::unique_ptr<DecodedMessage> message = reader_.take();
    try {
      onMessage_(*message);
    } catch (const std::exception& e) {
      CHECKER_LOG_ERROR("bad message from the supervisor: %s", e.what());
      return end("bad control message");
    }
    status = reader_.status();
  }
  if (status == FrameStatus::error && !closed_) {
    CHECKER_LOG_ERROR("bad bytes from the supervisor: %s", reader_.error().c_str());
    end("bad control bytes");
  }
}

bool ChildControl::write(std::string bytes) {
  if (closed_) return false;
  if (writeOwned(reinterpret_cast<uv_stream_t*>(&pipe_), std::move(bytes)) != 0) {
    end("cannot write to the supervisor");
    return false;
  }
  return true;
}

void ChildControl::end(const char* why) {
  if (closed_) return;
  close();
  if (onEnd_) onEnd_(why);
}

void ChildControl::close() {
  if (closed_) return;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), nullptr);
}

}  // namespace checker::ipc
