#include "jobs/net_connect.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

namespace checker {

namespace {

FdWaiter g_waiter = nullptr;

Result<int> pollFds(pollfd* fds, size_t count, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // Round up so that a deadline 0.4 ms away is still waited for.
    int timeout = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, 24 * 3600 * 1000));
    if (left.count() < 0) timeout = 0;
    int n = ::poll(fds, count, timeout);
    if (n > 0) return n;
    if (n == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return 0;
      continue;  // woke a little early
    }
    if (errno != EINTR) return Error{std::string("poll: ") + std::strerror(errno)};
  }
}

}  // namespace

void setFdWaiter(FdWaiter waiter) { g_waiter = waiter; }

Result<int> waitFds(pollfd* fds, size_t count, std::chrono::steady_clock::time_point deadline) {
  for (size_t i = 0; i < count; ++i) fds[i].revents = 0;
  return g_waiter != nullptr ? g_waiter(fds, count, deadline) : pollFds(fds, count, deadline);
}

Result<bool> waitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  pollfd p{fd, events, 0};
  Result<int> n = waitFds(&p, 1, deadline);
  if (!n) return Error{n.error()};
  return *n > 0;
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

std::string lookupError(int rc, int err) {
  return std::string("name lookup failed: ") + (rc == EAI_SYSTEM ? std::strerror(err) : ::gai_strerror(rc));
}

// One name lookup on a thread of its own, for a probe worker's loop. The
// thread outlives a lookup given up at the deadline: whichever of the two
// finishes last frees the answer.
struct Lookup {
  std::string host, service;
  addrinfo hints{};
  addrinfo* list = nullptr;
  int rc = 0, err = 0;
  UniqueFd readEnd, writeEnd;
  std::atomic<int> owners{2};
  void release() {
    if (owners.fetch_sub(1) == 1) {
      if (list != nullptr) ::freeaddrinfo(list);
      delete this;
    }
  }
};

Result<addrinfo*> lookupOnThread(const std::string& host, const std::string& service, const addrinfo& hints,
                                 std::chrono::steady_clock::time_point deadline) {
  auto* lookup = new Lookup;
  lookup->host = host;
  lookup->service = service;
  lookup->hints = hints;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    delete lookup;
    return Error{std::string("name lookup failed: pipe: ") + std::strerror(errno)};
  }
  lookup->readEnd.reset(fds[0]);
  lookup->writeEnd.reset(fds[1]);
  try {
    std::thread([lookup] {
      lookup->rc = ::getaddrinfo(lookup->host.c_str(), lookup->service.c_str(), &lookup->hints, &lookup->list);
      lookup->err = errno;
      char done = 1;
      [[maybe_unused]] ssize_t n = ::write(lookup->writeEnd.get(), &done, 1);
      lookup->release();
    }).detach();
  } catch (const std::system_error& e) {
    delete lookup;
    return Error{std::string("name lookup failed: no thread: ") + e.what()};
  }
  Result<bool> ready = waitFd(lookup->readEnd.get(), POLLIN, deadline);
  if (!ready || !*ready) {
    lookup->release();
    return Error{ready ? "name lookup failed: no answer before the run's deadline" : ready.error()};
  }
  Result<addrinfo*> out = lookup->rc == 0 ? Result<addrinfo*>(lookup->list) : Error{lookupError(lookup->rc, lookup->err)};
  lookup->list = nullptr;  // the caller's now (or there was none)
  lookup->release();
  return out;
}

// The addresses of HOST. An address in numbers needs no lookup; a name is
// looked up in place (a run's worker does nothing else meanwhile) or, with
// a waiter installed, on a thread so the other probes go on.
Result<addrinfo*> resolve(const std::string& host, const std::string& service, addrinfo hints,
                          std::chrono::steady_clock::time_point deadline) {
  addrinfo* list = nullptr;
  addrinfo numeric = hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &numeric, &list);
  if (rc == 0) return list;
  if (g_waiter != nullptr && rc == EAI_NONAME) return lookupOnThread(host, service, hints, deadline);
  rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) return Error{lookupError(rc, errno)};
  return list;
}

}  // namespace

namespace {

std::chrono::microseconds microsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

Result<TcpConnection> connectTcp(const std::string& host, uint16_t port, std::chrono::milliseconds connectTimeout,
                                 std::chrono::steady_clock::time_point deadline) {
  TcpConnection result;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;  // no AI_ADDRCONFIG: it drops 127.0.0.1 on hosts with only loopback
  auto lookupStarted = std::chrono::steady_clock::now();
  Result<addrinfo*> resolved = resolve(host, std::to_string(port), hints, deadline);
  if (!resolved) return Error{resolved.error()};
  result.resolveTime = microsSince(lookupStarted);
  addrinfo* list = *resolved;
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
    auto attemptStarted = std::chrono::steady_clock::now();
    Result<> connected = connectOne(ai, std::min(connectTimeout, left), result.fd);
    if (connected) {
      result.connectTime = microsSince(attemptStarted);
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
