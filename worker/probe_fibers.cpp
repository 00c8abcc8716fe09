#include "worker/probe_fibers.h"

#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/sys_error.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CHECKER_FIBER_ASAN 1
#else
#define CHECKER_FIBER_ASAN 0
#endif

namespace checker::worker {
namespace {

FiberLoop* g_loop = nullptr;  // the loop whose fiber is running, if any

}  // namespace

struct FiberLoop::Stack {
  void* base = nullptr;  // the guard page; the stack is above it
  size_t bytes = 0;
  ~Stack() {
    if (base != nullptr) ::munmap(base, bytes);
  }
  char* bottom() const { return static_cast<char*>(base) + static_cast<size_t>(::getpagesize()); }
  size_t usable() const { return bytes - static_cast<size_t>(::getpagesize()); }
};

struct FiberLoop::Fiber {
  ucontext_t context{};
  std::unique_ptr<Stack> stack;
  std::function<void()> body;
  bool done = false;
  // While parked:
  pollfd* fds = nullptr;
  size_t count = 0;
  TimePoint deadline{};
  int ready = 0;  // what wait() returns on resume
  uint64_t parking = 0;  // counts parkings: a heap entry of an earlier one is stale
  bool queued = false;   // in runnable_ for this turn
#if CHECKER_FIBER_ASAN
  void* fakeStack = nullptr;
#endif
};

namespace {
FiberLoop::Fiber* g_current = nullptr;  // the running fiber, if any
#if CHECKER_FIBER_ASAN
// The loop's own stack, as ASan reports it on each switch into a fiber.
const void* g_loopStackBottom = nullptr;
size_t g_loopStackSize = 0;
#endif
}  // namespace

FiberLoop::FiberLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}
FiberLoop::~FiberLoop() = default;

Result<std::unique_ptr<FiberLoop::Stack>> FiberLoop::makeStack() {
  auto stack = std::make_unique<Stack>();
  stack->bytes = kStackBytes + static_cast<size_t>(::getpagesize());
  void* base = ::mmap(nullptr, stack->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                      -1, 0);
  if (base == MAP_FAILED) return Error{describeErrno("mmap", "a probe's stack", errno)};
  stack->base = base;
  if (::mprotect(base, static_cast<size_t>(::getpagesize()), PROT_NONE) != 0) {
    return Error{describeErrno("mprotect", "a probe stack's guard page", errno)};
  }
  return stack;
}

Result<> FiberLoop::spawn(std::function<void()> body) {
  // Fibers are kept, with their stacks, for the loop's life: a deadline in
  // the heap may still name one that has finished (its parking count tells).
  if (idle_.empty()) {
    Result<std::unique_ptr<Stack>> stack = makeStack();
    if (!stack) return Error{stack.error()};
    all_.push_back(std::make_unique<Fiber>());
    all_.back()->stack = std::move(*stack);
    idle_.push_back(all_.back().get());
  }
  Fiber& fiber = *idle_.back();
  idle_.pop_back();
  fiber.body = std::move(body);
  fiber.done = false;
  if (::getcontext(&fiber.context) != 0) {
    idle_.push_back(&fiber);
    return Error{describeErrno("getcontext", "a probe", errno)};
  }
  fiber.context.uc_stack.ss_sp = fiber.stack->bottom();
  fiber.context.uc_stack.ss_size = fiber.stack->usable();
  fiber.context.uc_link = &loopContext_;
  auto address = reinterpret_cast<uintptr_t>(&fiber);
  ::makecontext(&fiber.context, reinterpret_cast<void (*)()>(&FiberLoop::trampoline), 2,
                static_cast<unsigned>(address >> 32), static_cast<unsigned>(address & 0xffffffffu));
  ++active_;
  resume(fiber);
  return {};
}

void FiberLoop::trampoline(unsigned high, unsigned low) {
  auto* fiber = reinterpret_cast<Fiber*>((static_cast<uintptr_t>(high) << 32) | low);
#if CHECKER_FIBER_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &g_loopStackBottom, &g_loopStackSize);
#endif
  fiber->body();  // runJob catches what a job throws: nothing escapes here
  fiber->body = nullptr;
  fiber->done = true;
#if CHECKER_FIBER_ASAN
  // Leaving for good: ASan may free this fiber's fake stack.
  __sanitizer_start_switch_fiber(nullptr, g_loopStackBottom, g_loopStackSize);
#endif
  // uc_link returns to the loop.
}

void FiberLoop::resume(Fiber& fiber) {
  FiberLoop* outerLoop = g_loop;
  Fiber* outer = g_current;
  g_loop = this;
  g_current = &fiber;
#if CHECKER_FIBER_ASAN
  void* loopFakeStack = nullptr;
  __sanitizer_start_switch_fiber(&loopFakeStack, fiber.stack->bottom(), fiber.stack->usable());
#endif
  ::swapcontext(&loopContext_, &fiber.context);
#if CHECKER_FIBER_ASAN
  __sanitizer_finish_switch_fiber(loopFakeStack, nullptr, nullptr);
#endif
  g_current = outer;
  g_loop = outerLoop;
  if (fiber.done) {
    idle_.push_back(&fiber);
    --active_;
  }
}

Result<int> FiberLoop::wait(pollfd* fds, size_t count, TimePoint deadline) {
  Fiber* fiber = g_current;
  FiberLoop* loop = g_loop;
  if (fiber == nullptr || loop == nullptr) {  // not in a fiber: wait in place
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      int n = ::poll(fds, count, static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, 86'400'000)));
      if (n >= 0 && (n > 0 || std::chrono::steady_clock::now() >= deadline)) return n;
      if (n < 0 && errno != EINTR) return Error{std::string("poll: ") + std::strerror(errno)};
    }
  }
  if (count > kMaxFdsPerWait) {  // the index must fit the epoll cookie
    return Error{"waiting on " + std::to_string(count) + " fds at once (at most " + std::to_string(kMaxFdsPerWait) + ")"};
  }
  fiber->fds = fds;
  fiber->count = count;
  fiber->deadline = deadline;
  fiber->ready = 0;
  for (size_t i = 0; i < count; ++i) fds[i].revents = 0;
  if (!loop->park(*fiber)) {  // an fd epoll cannot watch: say so at once
    loop->unpark(*fiber);
    fiber->fds = nullptr;
    return fiber->ready;
  }
#if CHECKER_FIBER_ASAN
  __sanitizer_start_switch_fiber(&fiber->fakeStack, g_loopStackBottom, g_loopStackSize);
#endif
  ::swapcontext(&fiber->context, &loop->loopContext_);
#if CHECKER_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fiber->fakeStack, &g_loopStackBottom, &g_loopStackSize);
#endif
  fiber->fds = nullptr;
  return fiber->ready;
}

bool FiberLoop::park(Fiber& fiber) {
  ++fiber.parking;
  deadlines_.push({fiber.deadline, &fiber, fiber.parking});
  for (size_t i = 0; i < fiber.count; ++i) {
    epoll_event event{};
    event.events = static_cast<uint32_t>(fiber.fds[i].events);  // POLLIN/POLLOUT equal EPOLLIN/EPOLLOUT
    // Cookie: the fiber's address (user space: 47 bits) and the fd's index.
    event.data.u64 = (static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&fiber)) << 8) | i;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fiber.fds[i].fd, &event) != 0) {
      fiber.fds[i].revents = POLLNVAL;
      fiber.ready = 1;
      fiber.count = i;  // only those added are removed
      return false;
    }
  }
  return true;
}

void FiberLoop::unpark(Fiber& fiber) {
  for (size_t i = 0; i < fiber.count; ++i) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fiber.fds[i].fd, nullptr);
}

Result<> FiberLoop::turn(pollfd* own, size_t ownCount, TimePoint ownDeadline) {
  // Stale heap entries (fibers resumed by their fds) first: the top is then
  // the earliest deadline of a parked fiber.
  while (!deadlines_.empty() && (deadlines_.top().fiber->fds == nullptr ||
                                 deadlines_.top().parking != deadlines_.top().fiber->parking)) {
    deadlines_.pop();
  }
  TimePoint wake = deadlines_.empty() ? ownDeadline : std::min(ownDeadline, deadlines_.top().at);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - std::chrono::steady_clock::now());
  int timeout = left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count() + 1, 86'400'000));
  std::vector<pollfd> polled(own, own + ownCount);
  polled.push_back({epoll_.get(), POLLIN, 0});
  int n = ::poll(polled.data(), polled.size(), timeout);
  if (n < 0 && errno != EINTR) return Error{describeErrno("poll", "the probe worker's fds", errno)};
  for (size_t i = 0; i < ownCount; ++i) own[i].revents = n > 0 ? polled[i].revents : 0;
  runnable_.clear();
  if (n > 0 && polled.back().revents != 0) {
    epoll_event events[256];
    int got = ::epoll_wait(epoll_.get(), events, 256, 0);
    for (int e = 0; e < got; ++e) {
      auto* fiber = reinterpret_cast<Fiber*>(static_cast<uintptr_t>(events[e].data.u64 >> 8));
      size_t index = events[e].data.u64 & 0xff;
      fiber->fds[index].revents = static_cast<short>(events[e].events);
      ++fiber->ready;
      if (!fiber->queued) {
        fiber->queued = true;
        runnable_.push_back(fiber);
      }
    }
  }
  TimePoint now = std::chrono::steady_clock::now();
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    Deadline due = deadlines_.top();
    deadlines_.pop();
    if (due.fiber->fds == nullptr || due.parking != due.fiber->parking || due.fiber->queued) continue;
    due.fiber->queued = true;
    runnable_.push_back(due.fiber);
  }
  for (Fiber* fiber : runnable_) {
    unpark(*fiber);
    fiber->queued = false;
  }
  std::vector<Fiber*> resuming;
  resuming.swap(runnable_);
  for (Fiber* fiber : resuming) resume(*fiber);
  return {};
}

}  // namespace checker::worker
