#pragma once
// A TCP listener on 127.0.0.1 that never accepts: the kernel completes
// handshakes into its queue, which is all a tcp check needs. With HANGING,
// its one-slot accept queue is filled at once, so every further SYN is
// dropped and a connect to it hangs until the connecter gives up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>

#include "common/unique_fd.h"

namespace checker::test {

class LoopbackListener {
 public:
  explicit LoopbackListener(bool hanging) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = address(0);
    socklen_t len = sizeof a;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_.get(), hanging ? 0 : 1024) != 0 ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("loopback listener: bind/listen");
    }
    port_ = ntohs(a.sin_port);
    if (hanging) {
      filler_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (::connect(filler_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        throw std::runtime_error("loopback listener: filling the queue");
      }
    }
  }

  // Does a connect to it complete within 300 ms?
  bool answers() const {
    UniqueFd probe(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in a = address(port_);
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    pollfd p{probe.get(), POLLOUT, 0};
    return ::poll(&p, 1, 300) == 1;
  }
  uint16_t port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static sockaddr_in address(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }
  UniqueFd fd_, filler_;
  uint16_t port_ = 0;
};

}  // namespace checker::test
