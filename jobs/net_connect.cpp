#include "jobs/net_connect.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace checker {

Result<bool> waitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // Round up so that a deadline 0.4 ms away is still waited for.
    int timeout = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, 24 * 3600 * 1000));
    if (left.count() < 0) timeout = 0;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, timeout);
    if (n > 0) return true;
    if (n == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      continue;  // woke a little early
    }
    if (errno != EINTR) return Error{std::string("poll: ") + std::strerror(errno)};
  }
}

namespace {

std::string addressText(const sockaddr* sa) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  }
  return text;
}

// One attempt on one address: FD set and connected, or an Error saying why not.
Result<> connectOne(const addrinfo* ai, std::chrono::milliseconds bound, UniqueFd& fd) {
  fd.reset(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
  if (!fd.valid()) return Error{std::string("socket: ") + std::strerror(errno)};
  if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) return {};
  if (errno != EINPROGRESS) return Error{std::strerror(errno)};
  Result<bool> ready = waitFd(fd.get(), POLLOUT, std::chrono::steady_clock::now() + bound);
  if (!ready) return Error{ready.error()};
  if (!*ready) return Error{"timed out after " + std::to_string(bound.count()) + " ms"};
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return Error{std::strerror(err)};
  return {};
}

}  // namespace

Result<TcpConnection> connectTcp(const std::string& host, uint16_t port, std::chrono::milliseconds connectTimeout,
                                 std::chrono::steady_clock::time_point deadline) {
  TcpConnection result;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;  // no AI_ADDRCONFIG: it drops 127.0.0.1 on hosts with only loopback
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (rc != 0) {
    return Error{std::string("name lookup failed: ") + (rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc))};
  }
  std::vector<std::string> errors;
  size_t tried = 0;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    std::string address = addressText(ai->ai_addr);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      errors.push_back(address + ": not tried, the run's deadline passed");
      continue;
    }
    ++tried;
    Result<> connected = connectOne(ai, std::min(connectTimeout, left), result.fd);
    if (connected) {
      result.address = address;
      ::freeaddrinfo(list);
      return result;
    }
    result.fd.reset();
    errors.push_back(address + ": " + connected.error());
  }
  ::freeaddrinfo(list);
  // A single address that is the host itself needs no repeating.
  if (errors.size() == 1 && errors[0].rfind(host + ": ", 0) == 0 && tried == 1) {
    return Error{errors[0].substr(host.size() + 2)};
  }
  std::string why;
  for (const std::string& e : errors) why += (why.empty() ? "" : "; ") + e;
  return Error{why};
}

}  // namespace checker
