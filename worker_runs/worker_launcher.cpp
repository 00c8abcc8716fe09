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

// `checker-worker --launcher --parent-pid=PID`, control socket on fd 3.
SupervisedChild::Options launcherOptions(std::string workerPath, uint64_t stableMs) {
  SupervisedChild::Options options;
  options.name = "worker launcher";
  options.args = {"checker-worker", "--launcher"};
  options.spawnLabel = workerPath + " --launcher";
  options.path = std::move(workerPath);
  options.socketType = SOCK_SEQPACKET;
  options.stableMs = stableMs;
  return options;
}

}  // namespace

WorkerLauncher::WorkerLauncher(uv_loop_t* loop, std::string workerPath, uint64_t stableMs)
    : loop_(loop),
      child_(loop, launcherOptions(std::move(workerPath), stableMs),
             {[this](UniqueFd control, bool restarted) { onChildStarted(std::move(control), restarted); },
              [this] { onChildExited(); }}) {}

// stop() and a loop run to the end close every handle before this; the fds
// (control_, those still queued) close with their holders.
WorkerLauncher::~WorkerLauncher() = default;

Result<> WorkerLauncher::start() { return child_.start(); }

void WorkerLauncher::onChildStarted(UniqueFd control, bool restarted) {
  control_ = std::move(control);
  uv_poll_init(loop_, &poll_, control_.get());
  poll_.data = this;
  pollOpen_ = true;
  updatePoll();
  if (restarted && onReady_) onReady_();
}

Result<> WorkerLauncher::launch(uint64_t runId, const int fds[3], Listener* listener, SpareKind kind) {
  if (!ready()) {
    for (int i = 0; i < 3; ++i) UniqueFd dropped(fds[i]);  // closed here whatever happens
    return Error{child_.stopping() ? "the worker launcher is stopping" : "the worker launcher is restarting"};
  }
  capnp::MallocMessageBuilder builder(64);  // a control message is a few dozen bytes
  auto message = builder.initRoot<ipc::ToLauncher>();
  if (kind == SpareKind::net) {
    message.setStartNet(runId);
  } else if (kind == SpareKind::builtIn) {
    message.setStartBuiltIn(runId);
  } else {
    message.setStart(runId);
  }
  runs_[runId] = listener;
  enqueue(ipc::encode(builder), fds, 3);
  return {};
}

void WorkerLauncher::kill(uint64_t runId) {
  if (!ready() || runs_.count(runId) == 0) return;
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ToLauncher>().setKill(runId);
  enqueue(ipc::encode(builder), nullptr, 0);
}

void WorkerLauncher::enqueue(std::string bytes, const int* fds, int fdCount) {
  Outgoing out{std::move(bytes), {}, fdCount};
  for (int i = 0; i < fdCount; ++i) out.fds[i].reset(fds[i]);
  outgoing_.push_back(std::move(out));
  flushOutgoing();
}

void WorkerLauncher::flushOutgoing() {
  while (!outgoing_.empty() && control_.valid()) {
    Outgoing& out = outgoing_.front();
    int fds[3] = {out.fds[0].get(), out.fds[1].get(), out.fds[2].get()};
    if (ipc::sendWithFds(control_.get(), out.bytes.data(), out.bytes.size(), fds, static_cast<size_t>(out.fdCount),
                         MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;  // the poll says when there is room again
      CHECKER_LOG_ERROR("worker launcher: %s", describeErrno("sendmsg", "control socket", errno).c_str());
      closeControl();
      loseAll();
      return;
    }
    outgoing_.pop_front();  // closes our copies: the launcher has its own now
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
  if ((events & UV_WRITABLE) != 0 && control_.valid()) flushOutgoing();
}

void WorkerLauncher::receive() {
  char data[kMaxControlBytes];
  while (control_.valid()) {
    ssize_t got = ::recv(control_.get(), data, sizeof data, MSG_DONTWAIT);
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
      child_.kill(SIGKILL);
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
  control_.reset();
}

void WorkerLauncher::loseAll() {
  outgoing_.clear();  // and the run descriptors it held
  // Each worker had the launcher as parent and died with it (its death
  // signal); tell every run, from a copy: a listener may call back in.
  auto lost = std::move(runs_);
  runs_.clear();
  if (!lost.empty()) CHECKER_LOG_WARN("worker launcher gone: %zu run(s) in progress lost with it", lost.size());
  for (auto& [runId, listener] : lost) listener->onLauncherLost();
}

void WorkerLauncher::onChildExited() {
  closeControl();
  loseAll();
}

void WorkerLauncher::stop() {
  if (child_.stopping()) return;
  child_.stop();
  // End of the socket: the launcher kills whatever still runs and exits;
  // its end is still heard.
  closeControl();
  loseAll();
}

}  // namespace checker
