#pragma once
// A loopback listener on a thread of its own, for benchmarks that run
// network jobs against it: it accepts each connection and either closes it
// at once (tcp) or reads one HTTP request and answers 200 with an empty
// body (http). Its own CPU is measured (the thread's clock), so a
// benchmark can take the server's share out of what it measured.
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

namespace checker::bench {

class LoopbackServer {
 public:
  enum class Kind { acceptAndClose, http };

  explicit LoopbackServer(Kind kind) : kind_(kind) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 128) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    ::shutdown(listener_, SHUT_RDWR);  // accept() returns: the thread ends
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }  // 0 when it could not listen
  // The serving thread's CPU so far, in nanoseconds.
  uint64_t cpuNanos() const { return cpuNanos_.load(); }

 private:
  void serve() {
    for (;;) {
      int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        break;
      }
      if (kind_ == Kind::http) answer(connection);
      ::close(connection);
      noteCpu();
    }
    noteCpu();
  }

  static void answer(int connection) {
    std::string request;
    char buffer[2048];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
      if (got <= 0) return;
      request.append(buffer, static_cast<size_t>(got));
    }
    static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)::send(connection, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
  }

  void noteCpu() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    cpuNanos_ = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
  }

  Kind kind_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<uint64_t> cpuNanos_{0};
  std::thread thread_;
};

}  // namespace checker::bench
