#pragma once
// A long-lived helper child's end of its control socket to checkerd (fd 3,
// framed Cap'n Proto both ways: ipc/framing.h), on the child's libuv loop.
// Shared by checker-mailer and checker-peerd, which differ only in what the
// messages say. A malformed frame ends the channel (the supervisor restarts
// the child) rather than being guessed at.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "ipc/framing.h"

namespace checker::ipc {

class ChildControl {
 public:
  // ON_MESSAGE gets each whole, validated frame; throwing from it ends the
  // channel like a malformed frame. ON_END says why the channel ended
  // (supervisor gone, bad bytes); it is called once.
  ChildControl(uv_loop_t* loop, int fd, size_t maxFrameBytes, std::function<void(DecodedMessage&)> onMessage,
               std::function<void(const char* why)> onEnd);
  void start();
  // Queues one framed message; false when the channel has ended.
  bool write(std::string bytes);
  // Closes the socket (idempotent); ON_END is not called for it.
  void close();

 private:
  void onBytes(const char* data, size_t size);
  void end(const char* why);

  uv_pipe_t pipe_{};
  FrameReader reader_;
  std::function<void(DecodedMessage&)> onMessage_;
  std::function<void(const char*)> onEnd_;
  bool closed_ = false;
};

}  // namespace checker::ipc
