#pragma once
// A loopback webhook receiver for checker-bench-channels: a real HTTP/1.1
// server on 127.0.0.1 (a free port), one thread, non-blocking sockets,
// that notes each request's arrival (wall clock, µs: compared with the
// payload's "at") and body, and answers 200. Unlike tests/support's
// receiver it keeps connections open (HTTP/1.1 keep-alive), as a real
// receiver would, so the figures show whether the mailer reuses them; and
// it has a gate: while closed, requests are read and noted but not
// answered, so a backlog can build up in checkerd's outbox and its drain be
// timed from the moment the gate opens.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace checker::bench {

struct Arrival {
  int64_t wallMicros = 0;  // when the whole request had been read
  std::chrono::steady_clock::time_point steady;
  int connection = 0;  // which connection brought it (numbered from 1)
  std::string body;
};

class WebhookReceiver {
 public:
  WebhookReceiver() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int fds[2];
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_, 1024) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error("webhook receiver: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
    wakeRead_ = fds[0];
    wakeWrite_ = fds[1];
    thread_ = std::thread([this] { serve(); });
  }
  ~WebhookReceiver() {
    stopping_ = true;
    wake();
    thread_.join();
    for (auto& [fd, client] : clients_) ::close(fd);
    for (int fd : {listener_, wakeRead_, wakeWrite_}) ::close(fd);
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string url(const std::string& path = "/hook") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // Closed: requests are noted, their answers held until open.
  void setGate(bool open) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      gateOpen_ = open;
    }
    wake();
  }
  // Waits up to TIMEOUT for COUNT requests in all; how many there are.
  size_t waitFor(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return arrivals_.size() >= count; });
    return arrivals_.size();
  }
  std::vector<Arrival> arrivals() {
    std::lock_guard<std::mutex> lock(mutex_);
    return arrivals_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    arrivals_.clear();
  }
  int connections() const { return connections_.load(); }

 private:
  struct Client {
    std::string in;
    int held = 0;  // requests read but not yet answered (gate closed)
    int number = 0;
  };

  void wake() {
    char byte = 0;
    (void)!::write(wakeWrite_, &byte, 1);
  }

  void serve() {
    while (!stopping_) {
      std::vector<pollfd> fds = {{listener_, POLLIN, 0}, {wakeRead_, POLLIN, 0}};
      for (const auto& [fd, client] : clients_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[1].revents != 0) {
        char drained[64];
        while (::read(wakeRead_, drained, sizeof drained) > 0) {
        }
        answerHeld();
      }
      if (fds[0].revents != 0) acceptAll();
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents != 0 && !readFrom(fds[i].fd)) {
          ::close(fds[i].fd);
          clients_.erase(fds[i].fd);
        }
      }
    }
  }

  void acceptAll() {
    for (;;) {
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      clients_[fd].number = ++connections_;
    }
  }

  // False when the client is gone.
  bool readFrom(int fd) {
    Client& client = clients_[fd];
    char buffer[16384];
    for (;;) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n == 0) return false;
      if (n < 0) break;  // EAGAIN: all read for now
      client.in.append(buffer, static_cast<size_t>(n));
    }
    while (takeRequest(fd, client)) {
    }
    return true;
  }

  // One whole request off CLIENT's buffer, noted and answered (or held).
  bool takeRequest(int fd, Client& client) {
    size_t end = client.in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string head = client.in.substr(0, end);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t length = 0;
    if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::stoul(head.substr(at + 17));
    }
    if (head.find("\r\nexpect: 100-continue") != std::string::npos && client.in.size() == end + 4) {
      send(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (client.in.size() < end + 4 + length) return false;
    Arrival arrival;
    arrival.steady = std::chrono::steady_clock::now();
    arrival.wallMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    arrival.connection = client.number;
    arrival.body = client.in.substr(end + 4, length);
    client.in.erase(0, end + 4 + length);
    bool open;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      arrivals_.push_back(std::move(arrival));
      open = gateOpen_;
      arrived_.notify_all();
    }
    if (open) {
      answer(fd);
    } else {
      ++client.held;
    }
    return true;
  }

  void answerHeld() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!gateOpen_) return;
    }
    for (auto& [fd, client] : clients_) {
      for (; client.held > 0; --client.held) answer(fd);
    }
  }

  static void answer(int fd) { send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"); }
  // Answers are small and the client reads them: the socket's buffer has room.
  static void send(int fd, const std::string& bytes) { (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

  int listener_ = -1, wakeRead_ = -1, wakeWrite_ = -1;
  uint16_t port_ = 0;
  std::map<int, Client> clients_;  // the serving thread's only
  std::atomic<int> connections_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  bool gateOpen_ = true;
  std::vector<Arrival> arrivals_;
};

}  // namespace checker::bench
