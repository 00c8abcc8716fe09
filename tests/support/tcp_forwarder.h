#pragma once
// A TCP forwarder on 127.0.0.1 for tests that need "the server is down" for
// one test only: the program under test is pointed at the forwarder's port,
// which forwards to the real server's; down() closes the listener and every
// connection (connections are refused), up() listens on the same port
// again. The real server, shared by the tests, is never touched. It can
// also listen on a network namespace's loopback, for a program running in
// that namespace that must still reach the host's server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace checker::test {

class TcpForwarder {
 public:
  // NEW_LISTENER_SOCKET: makes the socket it listens on, -1 on failure;
  // empty, a plain one. A socket made inside a network namespace
  // (NetworkNamespace::inside) makes it listen on that namespace's
  // loopback, while it still connects to the host's.
  explicit TcpForwarder(uint16_t targetPort, std::function<int()> newListenerSocket = {})
      : targetPort_(targetPort), newListenerSocket_(std::move(newListenerSocket)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    listen(0);
    thread_ = std::thread([this] { serve(); });
  }
  ~TcpForwarder() {
    quit_ = true;
    poke();
    thread_.join();
    closeAll();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  uint16_t port() const { return port_; }
  // Refuses connections and cuts the open ones, until up().
  void down() {
    std::lock_guard<std::mutex> lock(mutex_);
    closeAll();
    poke();
  }
  // Listens on the same port again. False if the port could not be had back.
  bool up() {
    std::lock_guard<std::mutex> lock(mutex_);
    bool ok = listen(port_);
    poke();
    return ok;
  }

 private:
  bool listen(uint16_t port) {
    int fd = newListenerSocket_ ? newListenerSocket_() : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 64) != 0) {
      ::close(fd);
      return false;
    }
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listener_ = fd;
    return true;
  }

  int connectTarget() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(targetPort_);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  void closeAll() {
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
    for (auto& [a, b] : pairs_) ::close(a), ::close(b);
    pairs_.clear();
  }

  void poke() {
    char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
  }

  void serve() {
    while (!quit_) {
      std::vector<pollfd> fds;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        fds.push_back({wake_[0], POLLIN, 0});
        if (listener_ >= 0) fds.push_back({listener_, POLLIN, 0});
        for (auto& [a, b] : pairs_) {
          fds.push_back({a, POLLIN, 0});
          fds.push_back({b, POLLIN, 0});
        }
      }
      if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
      std::lock_guard<std::mutex> lock(mutex_);
      for (const pollfd& p : fds) {
        if (p.revents == 0 || p.fd == wake_[0]) continue;
        if (p.fd == listener_) {
          int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
          int server = client >= 0 ? connectTarget() : -1;
          if (server >= 0) {
            pairs_.emplace_back(client, server);
          } else if (client >= 0) {
            ::close(client);
          }
          continue;
        }
        forward(p.fd);
      }
    }
  }

  // Moves what FD has to its partner; closes the pair at the end of either.
  void forward(int fd) {
    for (size_t i = 0; i < pairs_.size(); ++i) {
      auto [a, b] = pairs_[i];
      if (fd != a && fd != b) continue;
      int to = fd == a ? b : a;
      char buffer[16 * 1024];
      ssize_t got = ::read(fd, buffer, sizeof buffer);
      bool ok = got > 0;
      for (ssize_t sent = 0; ok && sent < got;) {
        ssize_t n = ::write(to, buffer + sent, static_cast<size_t>(got - sent));
        ok = n > 0;
        sent += n > 0 ? n : 0;
      }
      if (!ok) {
        ::close(a);
        ::close(b);
        pairs_.erase(pairs_.begin() + static_cast<long>(i));
      }
      return;
    }
  }

  uint16_t targetPort_;
  std::function<int()> newListenerSocket_;
  uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<std::pair<int, int>> pairs_;
  std::mutex mutex_;
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

}  // namespace checker::test
