#include "worker/probe_fibers.h"

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

FiberLoop::FiberLoop() = default;
FiberLoop::~FiberLoop() = default;

Result<std::unique_ptr<FiberLoop::Stack>> FiberLoop::takeStack() {
  if (!freeStacks_.empty()) {
    std::unique_ptr<Stack> stack = std::move(freeStacks_.back());
    freeStacks_.pop_back();
    return stack;
  }
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
  Result<std::unique_ptr<Stack>> stack = takeStack();
  if (!stack) return Error{stack.error()};
  auto fiber = std::make_unique<Fiber>();
  fiber->stack = std::move(*stack);
  fiber->body = std::move(body);
  if (::getcontext(&fiber->context) != 0) return Error{describeErrno("getcontext", "a probe", errno)};
  fiber->context.uc_stack.ss_sp = fiber->stack->bottom();
  fiber->context.uc_stack.ss_size = fiber->stack->usable();
  fiber->context.uc_link = &loopContext_;
  auto address = reinterpret_cast<uintptr_t>(fiber.get());
  ::makecontext(&fiber->context, reinterpret_cast<void (*)()>(&FiberLoop::trampoline), 2,
                static_cast<unsigned>(address >> 32), static_cast<unsigned>(address & 0xffffffffu));
  fibers_.push_back(std::move(fiber));
  resume(*fibers_.back());
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
    freeStacks_.push_back(std::move(fiber.stack));
    auto it = std::find_if(fibers_.begin(), fibers_.end(), [&](const auto& f) { return f.get() == &fiber; });
    if (it != fibers_.end()) {
      std::swap(*it, fibers_.back());
      fibers_.pop_back();
    }
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
  fiber->fds = fds;
  fiber->count = count;
  fiber->deadline = deadline;
  fiber->ready = 0;
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

Result<> FiberLoop::turn(pollfd* own, size_t ownCount, TimePoint ownDeadline) {
  polled_.assign(own, own + ownCount);
  TimePoint wake = ownDeadline;
  std::vector<Fiber*> parked;
  parked.reserve(fibers_.size());
  for (const auto& f : fibers_) {
    if (f->fds == nullptr) continue;
    parked.push_back(f.get());
    wake = std::min(wake, f->deadline);
    for (size_t i = 0; i < f->count; ++i) polled_.push_back({f->fds[i].fd, f->fds[i].events, 0});
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - std::chrono::steady_clock::now());
  int timeout = static_cast<int>(std::clamp<int64_t>(left.count() + 1, 0, 86'400'000));
  if (left.count() < 0) timeout = 0;
  int n = ::poll(polled_.data(), polled_.size(), timeout);
  if (n < 0 && errno != EINTR) return Error{describeErrno("poll", std::to_string(polled_.size()) + " fds", errno)};
  for (size_t i = 0; i < ownCount; ++i) own[i].revents = n > 0 ? polled_[i].revents : 0;
  TimePoint now = std::chrono::steady_clock::now();
  size_t at = ownCount;
  std::vector<Fiber*> runnable;
  for (Fiber* f : parked) {
    int ready = 0;
    for (size_t i = 0; i < f->count; ++i, ++at) {
      f->fds[i].revents = n > 0 ? polled_[at].revents : 0;
      if (f->fds[i].revents != 0) ++ready;
    }
    if (ready > 0 || now >= f->deadline) {
      f->ready = ready;
      runnable.push_back(f);
    }
  }
  for (Fiber* f : runnable) resume(*f);
  return {};
}

}  // namespace checker::worker
