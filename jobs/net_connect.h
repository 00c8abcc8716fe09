#pragma once
// TCP connect with a bound, for the tcp and tls_cert jobs, and how every
// network job waits for its sockets.
#include <poll.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace checker {

struct TcpConnection {
  UniqueFd fd;          // connected, non-blocking, close-on-exec
  std::string address;  // the address connected to ("127.0.0.1", "::1")
  std::chrono::microseconds resolveTime{0};  // the name lookup
  std::chrono::microseconds connectTime{0};  // the handshake with ADDRESS alone
};

// Resolves HOST and tries each of its addresses in turn until one accepts.
// Each attempt waits at most min(connectTimeout, time left until deadline).
// Name resolution itself is not bounded here (getaddrinfo has no timeout);
// the supervisor's deadline covers it. An Error says why none did:
// "Connection refused", or per address "127.0.0.1: Connection refused;
// ::1: timed out after 2000 ms".
Result<TcpConnection> connectTcp(const std::string& host, uint16_t port, std::chrono::milliseconds connectTimeout,
                                 std::chrono::steady_clock::time_point deadline);

// Waits until FD is ready for EVENTS (poll flags) or the deadline passes:
// true when ready, false when timed out, or an Error "poll: <errno text>".
Result<bool> waitFd(int fd, short events, std::chrono::steady_clock::time_point deadline);

// Waits until one of FDS is ready (revents set) or the deadline passes:
// the number ready, 0 when timed out. Every wait of a network job comes
// here, so that one waiter can serve many jobs at once.
Result<int> waitFds(pollfd* fds, size_t count, std::chrono::steady_clock::time_point deadline);

// How waitFds waits: poll(2) by default (a run's worker runs one job). A
// probe worker (isolation = batch) runs each probe as a fiber and installs
// a waiter that parks the calling fiber until its fds are ready, so many
// probes wait at once on one loop. With a waiter installed, name lookups
// run on a thread of their own, bounded by the run's deadline, instead of
// blocking the loop in getaddrinfo.
using FdWaiter = Result<int> (*)(pollfd* fds, size_t count, std::chrono::steady_clock::time_point deadline);
void setFdWaiter(FdWaiter waiter);  // nullptr: poll(2) again

}  // namespace checker
