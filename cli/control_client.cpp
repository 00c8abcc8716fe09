#include "cli/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/unique_fd.h"
#include "ipc/control.capnp.h"
#include "ipc/control_socket.h"
#include "ipc/framing.h"

namespace checker::cli {
namespace {

// The reply, fed into READER until whole, the peer closes, or DEADLINE.
void readReply(int fd, ipc::FrameReader& reader, std::chrono::steady_clock::time_point deadline) {
  while (reader.status() == ipc::FrameStatus::needMore) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) != 1) return;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    reader.feed(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

Result<ControlAnswerText> askCheckerd(const std::string& stateDir, capnp::MessageBuilder& request, int timeoutMs) {
  std::string path = controlSocketPath(stateDir);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (!fd.valid() || path.size() >= sizeof address.sun_path) return Error{"cannot use " + path};
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return Error{"no checkerd answers on " + path + ": " + std::strerror(errno)};
  }
  std::string bytes = ipc::encode(request);
  bool sent = ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  ipc::FrameReader reader;
  if (sent) readReply(fd.get(), reader, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs));
  if (reader.status() != ipc::FrameStatus::ready) return Error{"no answer from checkerd on " + path};
  auto message = reader.take();
  auto reply = message->root<ipc::ControlReply>();
  return ControlAnswerText{reply.getOk(), reply.getMessage().cStr()};
}

}  // namespace checker::cli
