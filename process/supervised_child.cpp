#include "process/supervised_child.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"
#include "common/sys_error.h"
#include "process/helper_child.h"

namespace checker {
namespace {

SupervisedChild* owner(void* data) { return static_cast<SupervisedChild*>(data); }

void freeProcess(uv_handle_t* handle) { delete reinterpret_cast<uv_process_t*>(handle); }

}  // namespace

SupervisedChild::SupervisedChild(uv_loop_t* loop, Options options, Events events)
    : loop_(loop), options_(std::move(options)), events_(std::move(events)), backoff_(options_.stableMs) {
  uv_timer_init(loop_, &restartTimer_);
  restartTimer_.data = this;
}

SupervisedChild::~SupervisedChild() = default;  // stop() and the loop's end closed every handle

Result<> SupervisedChild::start() { return spawn(false); }

Result<> SupervisedChild::spawn(bool restarted) {
  int pair[2];
  if (::socketpair(AF_UNIX, options_.socketType | SOCK_CLOEXEC, 0, pair) != 0) {
    const char* type = options_.socketType == SOCK_SEQPACKET ? "AF_UNIX, SOCK_SEQPACKET" : "AF_UNIX, SOCK_STREAM";
    return Error{describeErrno("socketpair", type, errno)};
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);  // the child's copy is made by the spawn; ours goes when this returns
  ::fcntl(ours.get(), F_SETFL, ::fcntl(ours.get(), F_GETFL) | O_NONBLOCK);
  std::vector<std::string> args = options_.args;
  args.push_back("--parent-pid=" + std::to_string(::getpid()));
  auto* process = new uv_process_t{};
  process->data = this;
  int rc = spawnHelperChild(loop_, process, options_.path, args, theirs.get(),
                            [](uv_process_t* p, int64_t status, int signal) { owner(p->data)->onExit(status, signal); });
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(process), freeProcess);
    return Error{"uv_spawn(" + options_.spawnLabel + "): " + uv_strerror(rc)};
  }
  process_ = process;
  backoff_.started(uv_now(loop_));
  CHECKER_LOG_INFO("%s started (pid %d)", options_.name.c_str(), process_->pid);
  events_.started(std::move(ours), restarted);
  return {};
}

void SupervisedChild::onExit(int64_t status, int signal) {
  int pid = process_->pid;
  uv_close(reinterpret_cast<uv_handle_t*>(process_), freeProcess);
  process_ = nullptr;
  events_.exited();
  const char* name = options_.name.c_str();
  if (stopping_) {
    if (status != 0 || signal != 0) CHECKER_LOG_WARN("%s (pid %d) %s at stop", name, pid, describeChildEnd(status, signal).c_str());
    return;
  }
  if (restartRequested_) {
    restartRequested_ = false;
    CHECKER_LOG_INFO("%s (pid %d) %s as asked; starting it again", name, pid, describeChildEnd(status, signal).c_str());
    scheduleRestart(0);
    return;
  }
  uint64_t lived = backoff_.livedMs(uv_now(loop_));
  uint64_t delay = backoff_.exited(uv_now(loop_));
  CHECKER_LOG_ERROR("%s (pid %d) %s after %llu ms; restarting in %llu ms", name, pid,
                    describeChildEnd(status, signal).c_str(), static_cast<unsigned long long>(lived),
                    static_cast<unsigned long long>(delay));
  scheduleRestart(delay);
}

void SupervisedChild::scheduleRestart(uint64_t delayMs) {
  uv_timer_start(&restartTimer_, [](uv_timer_t* t) { owner(t->data)->restartNow(); }, delayMs, 0);
}

void SupervisedChild::restartNow() {
  if (stopping_) return;
  ++restarts_;
  Result<> started = spawn(true);
  if (!started) {
    uint64_t delay = backoff_.failedStart();
    CHECKER_LOG_ERROR("%s: %s; trying again in %llu ms", options_.name.c_str(), started.error().c_str(),
                      static_cast<unsigned long long>(delay));
    scheduleRestart(delay);
  }
}

void SupervisedChild::restartSoon() {
  if (!stopping_ && process_ != nullptr) restartRequested_ = true;
}

void SupervisedChild::kill(int signal) {
  if (process_ != nullptr) uv_process_kill(process_, signal);
}

void SupervisedChild::stop() {
  if (stopping_) return;
  stopping_ = true;
  uv_timer_stop(&restartTimer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&restartTimer_), nullptr);
}

}  // namespace checker
