#pragma once
// A fake peer for tests: an HTTP server on 127.0.0.1 that takes each GET it
// is sent, passes its target (path and query) through REWRITE, asks the
// same of 127.0.0.1:TARGET_PORT and hands back that answer byte for byte.
// It holds no secret: it is what anyone on the path, or at a dead peer's
// address, can do. One connection at a time (a peer is asked once a second).
//
//   HttpRelay relay(instancePort);                  // relays as asked
//   HttpRelay renaming(port, [](std::string t) { ... return t; });
//   relay.port(); relay.relayed(); relay.upstreamStatusLines();
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
#include <string>
#include <thread>
#include <vector>

namespace checker::test {

class HttpRelay {
 public:
  using Rewrite = std::function<std::string(const std::string& target)>;

  explicit HttpRelay(uint16_t targetPort, Rewrite rewrite = nullptr)
      : targetPort_(targetPort), rewrite_(std::move(rewrite)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t size = sizeof address;
    if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&address), size) == 0 && ::listen(listenFd_, 16) == 0 &&
        ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
      port_ = ntohs(address.sin_port);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpRelay() {
    quit_ = true;
    char byte = 1;
    ssize_t ignored = ::write(wake_[1], &byte, 1);
    (void)ignored;
    thread_.join();
    ::close(listenFd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  HttpRelay(const HttpRelay&) = delete;
  HttpRelay& operator=(const HttpRelay&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // How many requests were passed on and answered.
  int relayed() const { return relayed_; }
  // The first line of each answer passed back ("HTTP/1.1 200 OK", ...).
  std::vector<std::string> upstreamStatusLines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return statusLines_;
  }

 private:
  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
  }

  static void boundWaits(int fd) {
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  }

  void serve() {
    while (!quit_) {
      pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 2, 1000) <= 0 || !(fds[0].revents & POLLIN)) continue;
      int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      boundWaits(client);
      relayOne(client);
      ::close(client);
    }
  }

  // The request head, up to its blank line (at most 8 KiB).
  static std::string readHead(int fd) {
    std::string head;
    char buffer[1024];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return {};
      head.append(buffer, static_cast<size_t>(n));
    }
    return head;
  }

  void relayOne(int client) {
    std::string head = readHead(client);
    size_t space = head.find(' '), second = head.find(' ', space + 1);
    if (head.rfind("GET ", 0) != 0 || second == std::string::npos) return;
    std::string target = head.substr(space + 1, second - space - 1);
    if (rewrite_) target = rewrite_(target);
    std::string answer = ask("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(targetPort_) +
                             "\r\nConnection: close\r\n\r\n");
    if (answer.empty()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      statusLines_.push_back(answer.substr(0, answer.find("\r\n")));
    }
    ::send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
    ++relayed_;
  }

  // REQUEST sent to the target; its whole answer (read until close).
  std::string ask(const std::string& request) const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    boundWaits(fd);
    sockaddr_in address = loopback(targetPort_);
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return answer;
  }

  uint16_t targetPort_;
  Rewrite rewrite_;
  int listenFd_ = -1;
  uint16_t port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> quit_{false};
  std::atomic<int> relayed_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> statusLines_;
  std::thread thread_;
};

}  // namespace checker::test
