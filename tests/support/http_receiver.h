#pragma once
// A loopback HTTP receiver for the alert channel tests (webhook, Slack,
// ntfy): a real server on 127.0.0.1 (a free port), on its own thread, that
// records every request whole (method, target, headers, body) and answers
// each with the next status of a script (then 200), closing the
// connection after each answer. Tests wait for requests with waitFor(), an
// event, never a sleep. Bodies come with Content-Length (chunked is refused
// with 411); "Expect: 100-continue" is honoured. Given a certificate and
// key, it speaks HTTPS (OpenSSL) instead, and counts the handshakes that
// failed (a client that did not trust it).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

// The certificate (PEM, its chain) and key an HTTPS receiver presents.
struct TlsIdentity {
  std::string certFile, keyFile;
};

class HttpReceiver {
 public:
  explicit HttpReceiver(std::optional<TlsIdentity> tls = std::nullopt) {
    if (tls) {
      tls_.reset(SSL_CTX_new(TLS_server_method()));
      if (!tls_ || SSL_CTX_use_certificate_chain_file(tls_.get(), tls->certFile.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(tls_.get(), tls->keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw std::runtime_error("http receiver: cannot load " + tls->certFile + " / " + tls->keyFile);
      }
    }
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
  std::string url(const std::string& path = "/") const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }
  // TLS handshakes that failed (the client refused the certificate, or spoke plain HTTP).
  size_t failedHandshakes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return failedHandshakes_;
  }
  // Waits (bounded by TIMEOUT) until COUNT handshakes failed; how many did.
  size_t waitForFailedHandshakes(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return failedHandshakes_ >= count; });
    return failedHandshakes_;
  }

 private:
  void serve() {
    for (;;) {
      pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stopRead_.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) continue;
      if (p[1].revents != 0) return;
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client.valid()) continue;
      timeval fiveSeconds{5, 0};  // a client that stalls the handshake cannot hold the thread
      ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &fiveSeconds, sizeof fiveSeconds);
      ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &fiveSeconds, sizeof fiveSeconds);
      Connection connection{client.get(), nullptr};
      std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, SSL_free);
      if (tls_) {
        ssl.reset(SSL_new(tls_.get()));
        SSL_set_fd(ssl.get(), client.get());
        if (SSL_accept(ssl.get()) != 1) {
          std::lock_guard<std::mutex> lock(mutex_);
          ++failedHandshakes_;
          arrived_.notify_all();
          continue;
        }
        connection.ssl = ssl.get();
      }
      handle(connection);
      if (connection.ssl != nullptr) SSL_shutdown(connection.ssl);
    }
  }

  // One accepted connection: plain, or TLS when SSL is set.
  struct Connection {
    int fd;
    SSL* ssl;
    ssize_t receive(char* buffer, size_t size) const {
      if (ssl == nullptr) return ::recv(fd, buffer, size, 0);
      int n = SSL_read(ssl, buffer, static_cast<int>(size));
      return n > 0 ? n : -1;
    }
    void sendAll(const std::string& bytes) const {
      if (ssl == nullptr) (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      else (void)!SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()));
    }
  };

  // Reads until BYTES holds WANTED bytes, 5 s at most without one.
  static bool readUntil(const Connection& connection, std::string& bytes, size_t wanted) {
    char buffer[16384];
    while (bytes.size() < wanted) {
      bool buffered = connection.ssl != nullptr && SSL_pending(connection.ssl) > 0;
      pollfd p{connection.fd, POLLIN, 0};
      if (!buffered && ::poll(&p, 1, 5000) <= 0) return false;
      ssize_t n = connection.receive(buffer, sizeof buffer);
      if (n <= 0) return false;
      bytes.append(buffer, static_cast<size_t>(n));
    }
    return true;
  }

  void handle(const Connection& fd) {
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
      fd.sendAll(go);
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

  void answer(const Connection& fd, ReceivedRequest& request, int status) {
    std::string body = status < 300 ? "ok\n" : "refused\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/plain\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    fd.sendAll(out);
    request.answeredStatus = status;
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(std::move(request));
    arrived_.notify_all();
  }

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls_{nullptr, SSL_CTX_free};
  size_t failedHandshakes_ = 0;
  UniqueFd listener_, stopRead_, stopWrite_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<int> script_;
  std::vector<ReceivedRequest> received_;
};

}  // namespace checker::test
