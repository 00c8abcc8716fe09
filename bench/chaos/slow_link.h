#pragma once
// A TCP forwarder on 127.0.0.1 that holds back everything the server says
// by a fixed delay: the mailer talks to the submission server through it,
// so each SMTP answer comes that much later, as from a server that is not
// on the same host. Without it the local server accepts a message ~5 ms
// after checkerd queued it, and a kill almost never finds a notice the
// server has not accepted yet; with ~25 ms per answer a message takes
// ~150-300 ms, and kills land before, during and after its DATA.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/unique_fd.h"

namespace checker::bench {

class SlowLink {
 public:
  SlowLink(uint16_t targetPort, std::chrono::milliseconds delay) : targetPort_(targetPort), delay_(delay) {
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
    wakeRead_.reset(wake[0]);
    wakeWrite_.reset(wake[1]);
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_.get(), 64) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("SlowLink: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SlowLink() {
    quit_ = true;
    char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wakeWrite_.get(), &byte, 1);
    thread_.join();
  }  // the pairs' sockets, the listener and the pipe close with their holders
  SlowLink(const SlowLink&) = delete;
  SlowLink& operator=(const SlowLink&) = delete;

  uint16_t port() const { return port_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Held {
    Clock::time_point due;
    std::string bytes;
  };
  struct Pair {
    UniqueFd client, server;
    std::deque<Held> toClient;  // the server's bytes, each chunk sent when due
    bool serverClosed = false;  // closed toward the client once toClient is empty
  };

  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }

  static bool sendAll(int fd, const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  void accept() {
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;
    UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in target = loopback(targetPort_);
    if (::connect(server.get(), reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) return;
    pairs_.push_back(Pair{std::move(client), std::move(server), {}, false});
  }

  // Sends what is due; false when the pair is over.
  bool flush(Pair& p, Clock::time_point now) {
    while (!p.toClient.empty() && p.toClient.front().due <= now) {
      if (!sendAll(p.client.get(), p.toClient.front().bytes)) return false;
      p.toClient.pop_front();
    }
    return !(p.serverClosed && p.toClient.empty());
  }

  // Reads FD of P; false when the pair is over.
  bool read(Pair& p, int fd) {
    char buffer[16 * 1024];
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (fd == p.client.get()) return got > 0 && sendAll(p.server.get(), std::string(buffer, static_cast<size_t>(got)));
    if (got <= 0) {
      p.serverClosed = true;
      return !p.toClient.empty();
    }
    p.toClient.push_back({Clock::now() + delay_, std::string(buffer, static_cast<size_t>(got))});
    return true;
  }

  void serve() {
    while (!quit_) {
      std::vector<pollfd> fds{{wakeRead_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      Clock::time_point next = Clock::now() + std::chrono::seconds(1);
      for (Pair& p : pairs_) {
        fds.push_back({p.client.get(), POLLIN, 0});
        fds.push_back({p.serverClosed ? -1 : p.server.get(), POLLIN, 0});
        if (!p.toClient.empty() && p.toClient.front().due < next) next = p.toClient.front().due;
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
      ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(wait, 0) + 1));
      if (fds[1].revents != 0) accept();
      size_t i = 2;
      Clock::time_point now = Clock::now();
      for (auto it = pairs_.begin(); it != pairs_.end(); i += 2) {
        bool alive = true;
        if (i < fds.size() && fds[i].revents != 0) alive = read(*it, it->client.get());
        if (alive && i + 1 < fds.size() && fds[i + 1].revents != 0) alive = read(*it, it->server.get());
        if (alive) alive = flush(*it, now);
        if (alive) {
          ++it;
        } else {
          it = pairs_.erase(it);  // closes both sockets
        }
      }
    }
  }

  uint16_t targetPort_;
  std::chrono::milliseconds delay_;
  uint16_t port_ = 0;
  UniqueFd listener_;
  UniqueFd wakeRead_, wakeWrite_;
  std::list<Pair> pairs_;  // pairs accepted this turn come after the polled ones
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

}  // namespace checker::bench
