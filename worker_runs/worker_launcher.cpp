#include "worker_runs/worker_launcher.h"

#include <capnp/message.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "common/sys_error.h"
#include "ipc/fd_passing.h"
#include "ipc/framing.h"
#include "ipc/launcher.capnp.h"

namespace checker {
namespace {

constexpr size_t kMaxControlBytes = 512;

WorkerLauncher* owner(void* data) { return static_cast<WorkerLauncher*>(data); }

}  // namespace

WorkerLauncher::WorkerLauncher(uv_loop_t* loop, std::string workerPath, uint64_t stableMs)
    : loop_(loop), workerPath_(std::move(workerPath)), backoff_(stableMs) {
  uv_timer_init(loop_, &restartTimer_);
  restartTimer_.data = this;
}

WorkerLauncher::~WorkerLauncher() {
  // stop() and a loop run to the end close every handle before this; the
  // fds are ours to close in any case.
  for (Outgoing& out : outgoing_) {
    for (int i = 0; i < out.fdCount; ++i) ::close(out.fds[i]);
  }
  if (control_ >= 0) ::close(control_);
}

bool WorkerLauncher::start(std::string* error) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    *error = describeErrno("socketpair", "AF_UNIX, SOCK_SEQPACKET", errno);
    return false;
  }
  ::fcntl(pair[0], F_SETFL, ::fcntl(pair[0], F_GETFL) | O_NONBLOCK);
  process_.data = this;
  int rc = spawnHelperChild(
      loop_, &process_, workerPath_,
      {"checker-worker", "--launcher", "--parent-pid=" + std::to_string(::getpid())}, pair[1],
      [](uv_process_t* p, int64_t status, int signal) { owner(p->data)->onLauncherExit(status, signal); });
  ::close(pair[1]);
  if (rc != 0) {
    ::close(pair[0]);
    uv_close(reinterpret_cast<uv_handle_t*>(&process_), nullptr);
    *error = std::string("uv_spawn(") + workerPath_ + " --launcher): " + uv_strerror(rc);
    return false;
  }
  processAlive_ = true;
  control_ = pair[0];
  uv_poll_init(loop_, &poll_, control_);
  poll_.data = this;
  pollOpen_ = true;
  updatePoll();
  backoff_.started(uv_now(loop_));
  CHECKER_LOG_INFO("worker launcher started (pid %d)", process_.pid);
  return true;
}

bool WorkerLauncher::launch(uint64_t runId, const int fds[3], Listener* listener, std::string* error) {
  if (!ready()) {
    for (int i = 0; i < 3; ++i) ::close(fds[i]);
    *error = stopping_ ? "the worker launcher is stopping" : "the worker launcher is restarting";
    return false;
  }
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ToLauncher>().setStart(runId);
  runs_[runId] = listener;
  enqueue(ipc::encode(builder), fds, 3);
  return true;
}

void WorkerLauncher::kill(uint64_t runId) {
  if (!ready() || runs_.count(runId) == 0) return;
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ToLauncher>().setKill(runId);
  enqueue(ipc::encode(builder), nullptr, 0);
}

void WorkerLauncher::enqueue(std::string bytes, const int* fds, int fdCount) {
  Outgoing out{std::move(bytes), {-1, -1, -1}, fdCount};
  std::copy(fds, fds + fdCount, out.fds);
  outgoing_.push_back(std::move(out));
  flushOutgoing();
}

void WorkerLauncher::flushOutgoing() {
  while (!outgoing_.empty() && control_ >= 0) {
    Outgoing& out = outgoing_.front();
    if (ipc::sendWithFds(control_, out.bytes.data(), out.bytes.size(), out.fds, static_cast<size_t>(out.fdCount),
                         MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;  // the poll says when there is room again
      CHECKER_LOG_ERROR("worker launcher: %s", describeErrno("sendmsg", "control socket", errno).c_str());
      closeControl();
      loseAll();
      return;
    }
    for (int i = 0; i < out.fdCount; ++i) ::close(out.fds[i]);  // the launcher has its own copies now
    outgoing_.pop_front();
  }
  updatePoll();
}

void WorkerLauncher::updatePoll() {
  if (!pollOpen_) return;
  int events = UV_READABLE | (outgoing_.empty() ? 0 : UV_WRITABLE);
  uv_poll_start(&poll_, events, [](uv_poll_t* p, int status, int ready) { owner(p->data)->onControlEvent(status, ready); });
}

void WorkerLauncher::onControlEvent(int status, int events) {
  if (status < 0) {
    CHECKER_LOG_ERROR("worker launcher: control socket: %s", uv_strerror(status));
    closeControl();
    loseAll();
    return;
  }
  if ((events & UV_READABLE) != 0) receive();
  if ((events & UV_WRITABLE) != 0 && control_ >= 0) flushOutgoing();
}

void WorkerLauncher::receive() {
  char data[kMaxControlBytes];
  while (control_ >= 0) {
    ssize_t got = ::recv(control_, data, sizeof data, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) {
      // The launcher closed its end: it is exiting or gone; its exit is
      // logged (and the restart made) when the process handle reports it.
      closeControl();
      loseAll();
      return;
    }
    uint64_t runId = 0;
    try {
      auto decoded = ipc::decode(std::string_view(data, static_cast<size_t>(got)), kMaxControlBytes);
      auto reply = decoded->root<ipc::FromLauncher>();
      Listener* listener = nullptr;
      switch (reply.which()) {
        case ipc::FromLauncher::STARTED:
          runId = reply.getStarted().getRunId();
          if (auto found = runs_.find(runId); found != runs_.end()) found->second->onLaunched(reply.getStarted().getPid());
          break;
        case ipc::FromLauncher::EXITED:
          runId = reply.getExited().getRunId();
          if (auto found = runs_.find(runId); found != runs_.end()) {
            listener = found->second;
            runs_.erase(found);
            listener->onLaunchedRunExited(reply.getExited().getExitStatus(), reply.getExited().getTermSignal());
          }
          break;
        case ipc::FromLauncher::NOT_STARTED:
          runId = reply.getNotStarted().getRunId();
          if (auto found = runs_.find(runId); found != runs_.end()) {
            listener = found->second;
            runs_.erase(found);
            auto why = reply.getNotStarted().getError();
            listener->onNotLaunched(std::string(why.cStr(), why.size()));
          }
          break;
      }
    } catch (const std::exception& e) {
      // Our own child talks nonsense: end it; the restart gives a fresh one.
      CHECKER_LOG_ERROR("worker launcher: bad control message: %s; restarting it", e.what());
      if (processAlive_) uv_process_kill(&process_, SIGKILL);
      closeControl();
      loseAll();
      return;
    }
  }
}

void WorkerLauncher::closeControl() {
  if (pollOpen_) {
    pollOpen_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  }
  if (control_ >= 0) {
    ::close(control_);
    control_ = -1;
  }
}

void WorkerLauncher::loseAll() {
  for (Outgoing& out : outgoing_) {
    for (int i = 0; i < out.fdCount; ++i) ::close(out.fds[i]);
  }
  outgoing_.clear();
  // Each worker had the launcher as parent and died with it (its death
  // signal); tell every run, from a copy: a listener may call back in.
  auto lost = std::move(runs_);
  runs_.clear();
  if (!lost.empty()) CHECKER_LOG_WARN("worker launcher gone: %zu run(s) in progress lost with it", lost.size());
  for (auto& [runId, listener] : lost) listener->onLauncherLost();
}

void WorkerLauncher::onLauncherExit(int64_t status, int signal) {
  processAlive_ = false;
  int pid = process_.pid;
  uv_close(reinterpret_cast<uv_handle_t*>(&process_), nullptr);
  closeControl();
  loseAll();
  if (stopping_) {
    if (status != 0 || signal != 0) CHECKER_LOG_WARN("worker launcher (pid %d) %s at stop", pid, describeChildEnd(status, signal).c_str());
    return;
  }
  uint64_t lived = backoff_.livedMs(uv_now(loop_));
  backoff_.exited(uv_now(loop_));
  CHECKER_LOG_ERROR("worker launcher (pid %d) %s after %llu ms; restarting in %llu ms", pid,
                    describeChildEnd(status, signal).c_str(), static_cast<unsigned long long>(lived),
                    static_cast<unsigned long long>(backoff_.delayMs()));
  scheduleRestart();
}

void WorkerLauncher::scheduleRestart() {
  uv_timer_start(&restartTimer_, [](uv_timer_t* t) {
    WorkerLauncher* self = owner(t->data);
    if (self->stopping_) return;
    std::string error;
    ++self->restarts_;
    if (!self->start(&error)) {
      self->backoff_.failedStart();
      CHECKER_LOG_ERROR("worker launcher: %s; trying again in %llu ms", error.c_str(),
                        static_cast<unsigned long long>(self->backoff_.delayMs()));
      self->scheduleRestart();
      return;
    }
    if (self->onReady_) self->onReady_();
  }, backoff_.delayMs(), 0);
}

void WorkerLauncher::stop() {
  if (stopping_) return;
  stopping_ = true;
  uv_timer_stop(&restartTimer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&restartTimer_), nullptr);
  // End of the socket: the launcher kills whatever still runs and exits;
  // its exit closes the process handle.
  closeControl();
  loseAll();
}

}  // namespace checker
