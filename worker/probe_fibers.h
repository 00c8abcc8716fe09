#pragma once
// The probe worker's fibers (isolation = batch): each probe runs the same
// blocking job code a run's worker runs (jobs/tcp_job.cpp, http, tls_cert),
// on a stack of its own; where the job would block in waitFds
// (jobs/net_connect.h), its fiber parks and the loop polls every parked
// fiber's fds at once. So a probe that hangs waits on its own deadline and
// never delays another, and one process serves thousands of probes.
//
// The loop's cost does not grow with the probes parked: their fds are in an
// epoll set (added when a fiber parks, removed when it resumes) and their
// deadlines in a min-heap, so a thousand hanging probes cost nothing per
// turn. One thread: fibers switch only inside wait(), never preemptively. A stack
// is kStackBytes with a guard page below it (an overflow is a SIGSEGV of
// the worker, which the supervisor classifies, not silent corruption);
// stacks are reused.
#include <poll.h>
#include <ucontext.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace checker::worker {

class FiberLoop {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
#if defined(__SANITIZE_ADDRESS__)
  static constexpr size_t kStackBytes = 1 << 20;  // ASan's redzones need room
#else
  static constexpr size_t kStackBytes = 128 << 10;
#endif

  FiberLoop();
  ~FiberLoop();
  FiberLoop(const FiberLoop&) = delete;
  FiberLoop& operator=(const FiberLoop&) = delete;

  // Runs BODY as a new fiber until its first wait (or its end). An Error
  // when no stack could be had (the probe is then failed by the caller).
  Result<> spawn(std::function<void()> body);

  // jobs/net_connect.h's FdWaiter: parks the calling fiber until one of FDS
  // is ready or DEADLINE passes. Outside a fiber it polls in place.
  static Result<int> wait(pollfd* fds, size_t count, TimePoint deadline);

  // One turn of the loop: polls OWN (the caller's fds; their revents are
  // set) and the parked fibers' fds, at most until OWN_DEADLINE or the
  // first fiber's deadline, then resumes each fiber whose fds are ready or
  // whose deadline has passed.
  Result<> turn(pollfd* own, size_t ownCount, TimePoint ownDeadline);

  size_t fibers() const { return active_; }
  // A wait on more fds than this is an Error.
  static constexpr size_t kMaxFdsPerWait = 255;

  struct Fiber;  // defined in the .cpp

 private:
  struct Stack;
  static void trampoline(unsigned high, unsigned low);
  void resume(Fiber& fiber);
  static Result<std::unique_ptr<Stack>> makeStack();
  // Parks FIBER on its fds and deadline; false when epoll refused an fd
  // (the fiber then resumes at once with that fd marked POLLNVAL).
  bool park(Fiber& fiber);
  void unpark(Fiber& fiber);

  struct Deadline {
    TimePoint at;
    Fiber* fiber;
    uint64_t parking;  // which parking of the fiber it belongs to
    bool operator>(const Deadline& other) const { return at > other.at; }
  };

  ucontext_t loopContext_{};
  UniqueFd epoll_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  std::vector<Fiber*> runnable_;  // scratch for turn()
  std::vector<std::unique_ptr<Fiber>> all_;  // every fiber made, live or idle
  std::vector<Fiber*> idle_;                 // finished, ready for the next probe
  size_t active_ = 0;
};

}  // namespace checker::worker
