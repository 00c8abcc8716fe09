// checker reload -c FILE: asks the checkerd running on FILE's state
// directory to re-read its config (as SIGHUP does) over its control socket
// (STATEDIR/control.sock, ipc/control.capnp), and prints its answer: what
// changed, or every error while the running config stays.
// Exit 0 reloaded; 2 the config was refused; 111 no checkerd answered.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <capnp/message.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "config/config.h"
#include "ipc/control.capnp.h"
#include "ipc/framing.h"
#include "ipc/control_socket.h"
#include "common/unique_fd.h"

namespace checker::cli {
namespace {

// A reload runs plugin `describe` workers: allow for them.
constexpr int kAnswerTimeoutMs = 120'000;

}  // namespace

int reload(const CommonOptions& options) {
  if (!options.rest.empty()) {
    std::fprintf(stderr, "usage: checker reload -c FILE\n");
    return kExitUsage;
  }
  // Even a config with errors names its state directory (or the default):
  // checkerd is asked anyway, so that it logs and keeps the refusal.
  ConfigLoad load = loadConfigFile(options.configPath);
  std::string path = controlSocketPath(load.config.general.stateDir);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (!fd.valid() || path.size() >= sizeof address.sun_path) {
    std::fprintf(stderr, "checker reload: cannot use %s\n", path.c_str());
    return kExitTemporary;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "checker reload: no checkerd answers on %s: %s\n", path.c_str(), std::strerror(errno));
    return kExitTemporary;
  }
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ControlRequest>().setReload();
  std::string request = ipc::encode(builder);
  bool sent = ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  ipc::FrameReader reader;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAnswerTimeoutMs);
  while (sent && reader.status() == ipc::FrameStatus::needMore) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd.get(), POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) != 1) break;
    char buffer[4096];
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reader.feed(buffer, static_cast<size_t>(n));
  }
  fd.reset();
  if (reader.status() != ipc::FrameStatus::ready) {
    std::fprintf(stderr, "checker reload: no answer from checkerd on %s\n", path.c_str());
    return kExitTemporary;
  }
  auto message = reader.take();
  auto reply = message->root<ipc::ControlReply>();
  std::printf("%s: %s\n", reply.getOk() ? "reloaded" : "not reloaded", reply.getMessage().cStr());
  return reply.getOk() ? kExitOk : kExitUsage;
}

}  // namespace checker::cli
