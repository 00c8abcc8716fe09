#pragma once
// A loopback HTTP receiver for the alert channel tests (webhook, Slack,
// ntfy): a real server on 127.0.0.1 (a free port), on its own thread, that
// records every request whole (method, target, headers, body) and answers
// each with the next status of a script (then 200), closing the
// connection after each answer. Tests wait for requests with waitFor(), an
// event, never a sleep. Bodies come with Content-Length (chunked is refused
// with 411); "Expect: 100-continue" is honoured.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace checker::test {

struct ReceivedRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names in lower case
  int answeredStatus = 0;
  std::string header(const std::string& lowerName) const {
    auto found = headers.find(lowerName);
    return found == headers.end() ? "" : found->second;
  }
};

class HttpReceiver {
 public:
  HttpReceiver() {
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int pipeFds[2];
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_.get(), 64) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::pipe2(pipeFds, O_CLOEXEC) != 0) {
      throw std::runtime_error("http receiver: bind/listen");
    }
    port_ = ntohs(a.sin_port);
    stopRead_.reset(pipeFds[0]);
    stopWrite_.reset(pipeFds[1]);
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpReceiver() {
    char byte = 0;
    (void)!::write(stopWrite_.get(), &byte, 1);
    thread_.join();
  }
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // The statuses the next requests get, in order; 200 once they are used up.
  void answerWith(std::vector<int> statuses) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.assign(statuses.begin(), statuses.end());
  }
  // Waits until COUNT requests have come (bounded by TIMEOUT); all so far.
  std::vector<ReceivedRequest> waitFor(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    return received_;
  }
  std::vector<ReceivedRequest> received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  void serve() {
    for (;;) {
      pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stopRead_.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) continue;
      if (p[1].revents != 0) return;
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.valid()) handle(client.get());
    }
  }

  // Reads until BYTES holds WANTED bytes, 5 s at most without one.
  static bool readUntil(int fd, std::string& bytes, size_t wanted) {
    char buffer[16384];
    while (bytes.size() < wanted) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      bytes.append(buffer, static_cast<size_t>(n));
    }
    return true;
  }

  void handle(int fd) {
    std::string bytes;
    size_t end;
    while ((end = bytes.find("\r\n\r\n")) == std::string::npos) {
      if (!readUntil(fd, bytes, bytes.size() + 1) || bytes.size() > (1 << 20)) return;
    }
    ReceivedRequest request;
    std::string head = bytes.substr(0, end);
    size_t lineEnd = head.find("\r\n");
    std::string first = head.substr(0, lineEnd);
    request.method = first.substr(0, first.find(' '));
    request.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
    for (size_t at = lineEnd; at != std::string::npos && at < head.size();) {
      size_t next = head.find("\r\n", at + 2);
      std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon), value = line.substr(colon + 1);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        value.erase(0, value.find_first_not_of(' '));
        request.headers[name] = value;
      }
      at = next;
    }
    if (request.header("transfer-encoding").find("chunked") != std::string::npos) return answer(fd, request, 411);
    size_t length = request.header("content-length").empty() ? 0 : std::stoul(request.header("content-length"));
    if (request.header("expect") == "100-continue") {
      std::string go = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)!::send(fd, go.data(), go.size(), MSG_NOSIGNAL);
    }
    request.body = bytes.substr(end + 4);
    if (!readUntil(fd, request.body, length)) return;
    request.body.resize(length);
    int status = 200;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
    }
    answer(fd, request, status);
  }

  void answer(int fd, ReceivedRequest& request, int status) {
    std::string body = status < 300 ? "ok\n" : "refused\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/plain\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    (void)!::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    request.answeredStatus = status;
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(std::move(request));
    arrived_.notify_all();
  }

  UniqueFd listener_, stopRead_, stopWrite_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<int> script_;
  std::vector<ReceivedRequest> received_;
};

}  // namespace checker::test
