#pragma once
// systemd's end of its notification protocol for tests: a datagram socket
// that checkerd (or the notifier) sends READY=1, WATCHDOG=1, STOPPING=1 to,
// read with a timeout (events, never sleeps).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace checker::test {

// What systemd's end looks like: a datagram socket bound to NAME (a path,
// or "@name" for the abstract namespace).
class NotifySocket {
 public:
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') address.sun_path[0] = '\0';
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) throw std::runtime_error("bind " + name_);
  }
  ~NotifySocket() { ::close(fd_); }
  const std::string& name() const { return name_; }

  // The next datagram within TIMEOUT, or "" when none came.
  std::string next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }
  // Skips datagrams until one starting with PREFIX arrives within TIMEOUT.
  std::string nextStartingWith(const std::string& prefix, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      std::string message = next(left);
      if (message.rfind(prefix, 0) == 0) return message;
      if (message.empty()) return "";
    }
  }

 private:
  std::string name_;
  int fd_ = -1;
};

}  // namespace checker::test
