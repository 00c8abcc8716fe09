#include "worker_runs/probe_worker.h"

#include "common/log.h"
#include "ipc/job.capnp.h"
#include "worker_runs/worker_pipes.h"

namespace checker {
namespace {

constexpr size_t kMaxStderrBytes = 4096;
// After the worker exited, pipes an escaped process holds are closed anyway.
constexpr uint64_t kPipeGraceMs = 2000;
// One probe's result: a JobResult with capped texts is far smaller.
constexpr size_t kMaxResultBytes = 64 * 1024;

void allocateBuffer(uv_handle_t*, size_t, uv_buf_t* buf) {
  static thread_local char buffer[64 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

ProbeWorker* owner(void* data) { return static_cast<ProbeWorker*>(data); }

struct Write {
  uv_write_t request{};
  std::string bytes;
};

}  // namespace

ProbeWorker::ProbeWorker(uv_loop_t* loop, WorkerLauncher& launcher, uint64_t runId, Listener* listener)
    : loop_(loop), launcher_(launcher), runId_(runId), listener_(listener), reader_(kMaxResultBytes) {}

Result<ProbeWorker*> ProbeWorker::launch(uv_loop_t* loop, WorkerLauncher& launcher, uint64_t runId,
                                         const std::string& session, Listener* listener) {
  auto* worker = new ProbeWorker(loop, launcher, runId, listener);
  if (Result<> started = worker->start(session); !started) return Error{started.error()};  // cleaned up
  return worker;
}

Result<> ProbeWorker::start(const std::string& session) {
  Result<WorkerPipes> pipes = openWorkerPipes(loop_, &stdin_, &stdout_, &stderr_, this);
  if (!pipes) {
    delete this;
    return Error{pipes.error()};
  }
  openHandles_ += 3;
  uv_timer_init(loop_, &pipeGrace_);
  pipeGrace_.data = this;
  ++openHandles_;
  accepted_ = stdoutOpen_ = stderrOpen_ = inputOpen_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&stdout_), allocateBuffer, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    if (n > 0) owner(s->data)->onResultBytes(b->base, static_cast<size_t>(n));
    else if (n < 0) owner(s->data)->onPipeEnd(s);
  });
  uv_read_start(reinterpret_cast<uv_stream_t*>(&stderr_), allocateBuffer, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    ProbeWorker* w = owner(s->data);
    if (n > 0) {
      size_t room = kMaxStderrBytes - std::min(kMaxStderrBytes, w->end_.stderrText.size());
      w->end_.stderrText.append(b->base, std::min(room, static_cast<size_t>(n)));  // the rest is drained
    } else if (n < 0) {
      w->onPipeEnd(s);
    }
  });
  send(session);
  if (Result<> launched = launcher_.launch(runId_, pipes->workerEnds, this); !launched) {
    accepted_ = false;  // nothing to report of a worker never asked for
    exited_ = true;
    stdoutOpen_ = stderrOpen_ = false;
    maybeFinish();
    return launched;
  }
  return {};
}

void ProbeWorker::send(std::string frame) {
  if (!inputOpen_) return;
  auto* write = new Write;
  write->bytes = std::move(frame);
  write->request.data = this;
  uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&stdin_), &buf, 1, [](uv_write_t* w, int) {
    ProbeWorker* worker = owner(w->data);
    delete reinterpret_cast<Write*>(w);  // a failed write: the worker is gone, its end tells
    if (--worker->pendingWrites_ == 0 && worker->closeInputWhenWritten_) {
      worker->closeHandle(reinterpret_cast<uv_handle_t*>(&worker->stdin_));
    }
  });
  if (rc != 0) delete write;
  else ++pendingWrites_;
}

void ProbeWorker::kill() {
  if (!exited_) launcher_.kill(runId_);
}

void ProbeWorker::finishInput() {
  if (!inputOpen_) return;
  inputOpen_ = false;
  // Closing a stream cancels its queued writes: close after the last one.
  if (pendingWrites_ == 0) closeHandle(reinterpret_cast<uv_handle_t*>(&stdin_));
  else closeInputWhenWritten_ = true;
}

void ProbeWorker::onResultBytes(const char* data, size_t size) {
  if (!end_.protocolError.empty()) return;
  reader_.feed(data, size);
  while (reader_.status() == ipc::FrameStatus::ready) {
    std::unique_ptr<ipc::DecodedMessage> message = reader_.take();
    try {
      message->root<ipc::ProbeReply>();
    } catch (const ipc::FrameError& e) {
      end_.protocolError = std::string("a result that is not a probe reply: ") + e.what();
      break;
    }
    listener_->onProbeResult(std::move(message));
  }
  if (reader_.status() == ipc::FrameStatus::error) end_.protocolError = reader_.error();
  if (!end_.protocolError.empty()) {
    CHECKER_LOG_ERROR("probe worker %d: %s: killing it", pid_, end_.protocolError.c_str());
    kill();
  }
}

void ProbeWorker::onLaunched(int pid) {
  pid_ = pid;
  CHECKER_LOG_INFO("probe worker %d started: isolation = batch jobs run there", pid);
}

void ProbeWorker::onLaunchedRunExited(int64_t exitStatus, int termSignal) {
  exited_ = true;
  end_.exitStatus = exitStatus;
  end_.termSignal = termSignal;
  uv_timer_start(&pipeGrace_, [](uv_timer_t* t) {
    ProbeWorker* w = owner(t->data);
    w->stdoutOpen_ = w->stderrOpen_ = false;  // give up on escaped holders
    w->maybeFinish();
  }, kPipeGraceMs, 0);
  maybeFinish();
}

void ProbeWorker::onNotLaunched(const std::string& error) {
  end_.started = false;
  end_.startError = error;
  onLaunchedRunExited(0, 0);
}

void ProbeWorker::onLauncherLost() {
  end_.launcherLost = true;
  onLaunchedRunExited(0, 0);
}

void ProbeWorker::onPipeEnd(uv_stream_t* stream) {
  uv_read_stop(stream);
  if (stream == reinterpret_cast<uv_stream_t*>(&stdout_)) stdoutOpen_ = false;
  if (stream == reinterpret_cast<uv_stream_t*>(&stderr_)) stderrOpen_ = false;
  maybeFinish();
}

void ProbeWorker::maybeFinish() {
  if (finished_ || !exited_ || stdoutOpen_ || stderrOpen_) return;
  finished_ = true;
  inputOpen_ = false;
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&stdout_), reinterpret_cast<uv_handle_t*>(&stderr_),
                         reinterpret_cast<uv_handle_t*>(&stdin_), reinterpret_cast<uv_handle_t*>(&pipeGrace_)}) {
    closeHandle(h);
  }
}

void ProbeWorker::closeHandle(uv_handle_t* handle) {
  if (uv_is_closing(handle)) return;
  uv_close(handle, onHandleClosed);
}

void ProbeWorker::onHandleClosed(uv_handle_t* handle) {
  ProbeWorker* w = owner(handle->data);
  if (--w->openHandles_ > 0 || !w->finished_) return;
  if (w->accepted_) w->listener_->onProbeWorkerEnded(w->end_);
  delete w;
}

}  // namespace checker
