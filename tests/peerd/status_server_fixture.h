#pragma once
// A StatusServer on loopback in a thread of its own, and the client side
// the tests of peerd's HTTP server need (real TCP sockets): shared by
// status_server_test.cpp and slow_clients_test.cpp.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "peerd/plain_answer.h"
#include "peerd/status_server.h"

namespace checker::peerd::fixture {

inline int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A StatusServer on 127.0.0.1:<free port>, its loop in a thread of its own.
class Server {
 public:
  explicit Server(ServerLimits limits, const std::string& host = "127.0.0.1") {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      auto* self = static_cast<Server*>(a->data);
      self->server_->close();
      uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    stop_.data = this;
    server_ = std::make_unique<StatusServer>(
        &loop_,
        [this](const HttpRequest& request) {
          std::lock_guard<std::mutex> lock(mutex_);
          lastClient_ = request.clientAddress;
          if (request.method != "GET" && request.method != "HEAD") {
            return HttpResponse{405, "text/plain; charset=utf-8", "Method Not Allowed\n"};
          }
          return HttpResponse{200, "text/plain; charset=utf-8", plainAnswer(view_, nowMs(), 120'000)};
        },
        limits);
    Result<std::string> bound = server_->listen(host, 0);
    if (!bound) throw std::runtime_error(bound.error());
    port_ = static_cast<uint16_t>(std::stoi(bound->substr(bound->rfind(':') + 1)));
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~Server() {
    uv_async_send(&stop_);
    thread_.join();
    uv_loop_close(&loop_);
  }
  uint16_t port() const { return port_; }
  void setView(InstanceView view) {
    std::lock_guard<std::mutex> lock(mutex_);
    view_ = view;
  }
  // The client address the last request carried.
  std::string lastClient() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lastClient_;
  }

 private:
  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::unique_ptr<StatusServer> server_;
  std::thread thread_;
  std::mutex mutex_;
  InstanceView view_{false, nowMs()};
  std::string lastClient_;
  uint16_t port_ = 0;
};

inline int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A connection to 127.0.0.1:PORT from 127.0.0.FROM: to the server, each FROM
// is a client of its own. -1 when it fails.
inline int connectFrom(int from, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in source{}, target{};
  source.sin_family = target.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(0x7f000000u | static_cast<uint32_t>(from));
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  target.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The server has closed FD (its end of stream waits to be read) by now.
inline bool closedNow(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
}

inline void sendAll(int fd, const std::string& bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Everything the server sends until it closes, or TIMEOUT passes.
inline std::string readUntilClosed(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) return got;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return got;
    got.append(buffer, static_cast<size_t>(n));
  }
}

// One whole response on a kept-alive connection: headers, then Content-Length bytes.
inline std::string readOneResponse(int fd) {
  std::string got;
  for (;;) {
    size_t end = got.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t at = got.find("Content-Length: ");
      size_t length = at == std::string::npos ? 0 : std::stoul(got.substr(at + 16));
      if (got.size() >= end + 4 + length) return got.substr(0, end + 4 + length);
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return got;
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return got;
    got.append(buffer, static_cast<size_t>(n));
  }
}

inline std::string bodyOf(const std::string& response) {
  size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// A well-behaved peer's question, on a connection of its own.
inline std::string ask(uint16_t port, const std::string& request = "GET / HTTP/1.0\r\n\r\n") {
  int fd = connectTo(port);
  if (fd < 0) return "";
  sendAll(fd, request);
  std::string answer = readUntilClosed(fd);
  ::close(fd);
  return answer;
}

inline ServerLimits shortLimits() {
  ServerLimits limits;
  limits.maxConnections = 64;
  limits.requestTimeoutMs = 400;
  limits.idleTimeoutMs = 400;
  return limits;
}

// Descriptors closed however the test ends.
class Sockets {
 public:
  Sockets() = default;
  Sockets(const Sockets&) = delete;
  Sockets& operator=(const Sockets&) = delete;
  ~Sockets() {
    for (int fd : fds_) ::close(fd);
  }
  void add(int fd) { fds_.push_back(fd); }
  const std::vector<int>& fds() const { return fds_; }

 private:
  std::vector<int> fds_;
};

// RLIMIT_NOFILE's soft limit raised to at least WANTED for the test's
// length; false when the hard limit is lower.
class OpenFilesAtLeast {
 public:
  explicit OpenFilesAtLeast(rlim_t wanted) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    if (saved_.rlim_cur >= wanted) return;
    if (saved_.rlim_max != RLIM_INFINITY && saved_.rlim_max < wanted) {
      ok_ = false;
      return;
    }
    rlimit raised = saved_;
    raised.rlim_cur = wanted;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &raised) == 0;
    restore_ = ok_;
  }
  ~OpenFilesAtLeast() {
    if (restore_) ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  bool ok() const { return ok_; }
  rlim_t hardLimit() const { return saved_.rlim_max; }

 private:
  rlimit saved_{};
  bool ok_ = true;
  bool restore_ = false;
};

// How many of FDS the server has closed (end of stream waiting), as soon as
// at least AT_LEAST are, or what it is after 10 s.
inline size_t closedByThePeer(const std::vector<int>& fds, size_t atLeast) {
  std::vector<pollfd> polled;
  for (int fd : fds) polled.push_back({fd, POLLRDHUP, 0});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    ::poll(polled.data(), polled.size(), 0);
    size_t closed = static_cast<size_t>(std::count_if(polled.begin(), polled.end(), [](const pollfd& p) {
      return (p.revents & (POLLRDHUP | POLLHUP)) != 0;
    }));
    if (closed >= atLeast || std::chrono::steady_clock::now() >= deadline) return closed;
    std::vector<pollfd> open;  // wait for the next one to close
    for (const pollfd& p : polled) {
      if ((p.revents & (POLLRDHUP | POLLHUP)) == 0) open.push_back({p.fd, POLLRDHUP, 0});
    }
    ::poll(open.data(), open.size(), 100);
  }
}

}  // namespace checker::peerd::fixture
