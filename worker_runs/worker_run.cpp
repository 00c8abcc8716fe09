#include "worker_runs/worker_run.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "common/clock.h"
#include "common/log.h"
#include "worker_runs/worker_pipes.h"

namespace checker {
namespace {

// After the worker exits and its group is killed, pipes still held open by
// an escaped process are closed anyway after this long.
constexpr uint64_t kPipeGraceMs = 2000;

void allocateBuffer(uv_handle_t*, size_t suggested, uv_buf_t* buf) {
  static thread_local char buffer[64 * 1024];
  (void)suggested;
  *buf = uv_buf_init(buffer, sizeof buffer);
}

WorkerRun* owner(void* data) { return static_cast<WorkerRun*>(data); }

}  // namespace

WorkerRun::WorkerRun(uv_loop_t* loop, const WorkerRunSpec& spec, Done done)
    : loop_(loop), spec_(spec), done_(std::move(done)), replyReader_(spec.maxReplyBytes) {}

Result<WorkerRun*> WorkerRun::start(uv_loop_t* loop, const WorkerRunSpec& spec, Done done) {
  auto* run = new WorkerRun(loop, spec, std::move(done));
  if (Result<> spawned = run->spawn(); !spawned) return Error{spawned.error()};  // spawn() arranged its own cleanup
  return run;
}

Result<WorkerRun*> WorkerRun::launch(uv_loop_t* loop, WorkerLauncher& launcher, uint64_t runId,
                                     const WorkerRunSpec& spec, Done done) {
  auto* run = new WorkerRun(loop, spec, std::move(done));
  if (Result<> launched = run->launchVia(launcher, runId); !launched) return Error{launched.error()};  // cleaned up
  return run;
}

// The loop's time is that of its last tick, which may be long past when the
// loop was busy (a commit, a reload, a burst of due runs): the deadline
// and the duration count from now.
void WorkerRun::markStarted() {
  uv_update_time(loop_);
  report_.startedUnixMs = wallClockNowMs();
  startedMonoMs_ = uv_now(loop_);
}

Result<> WorkerRun::spawn() {
  for (uv_pipe_t* pipe : {&stdin_, &stdout_, &stderr_}) {
    uv_pipe_init(loop_, pipe, 0);
    pipe->data = this;
    ++openHandles_;
  }
  uv_stdio_container_t stdio[3];
  stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(&stdin_);
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&stdout_);
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&stderr_);
  // The worker checks its parent is still this process after arming
  // PR_SET_PDEATHSIG (closing the window where we died before it could).
  std::string parentArg = "--parent-pid=" + std::to_string(::getpid());
  char* args[] = {const_cast<char*>("checker-worker"), parentArg.data(), nullptr};
  char* env[] = {nullptr};  // the worker needs nothing from our environment
  uv_process_options_t options{};
  options.file = spec_.workerPath.c_str();
  options.args = args;
  options.env = env;
  options.stdio = stdio;
  options.stdio_count = 3;
  // Its own session and process group from before exec: the deadline kill
  // of the group cannot race the worker's own setsid().
  options.flags = UV_PROCESS_DETACHED;
  options.exit_cb = [](uv_process_t* p, int64_t status, int signal) {
    WorkerRun* run = owner(p->data);
    run->killGroup();  // whatever the worker left in its group goes with it
    run->closeHandle(reinterpret_cast<uv_handle_t*>(&run->process_));
    run->onExit(status, signal);
  };
  process_.data = this;
  markStarted();
  int rc = uv_spawn(loop_, &process_, &options);
  if (rc != 0) {
    std::string error = std::string("uv_spawn(") + spec_.workerPath + "): " + uv_strerror(rc);
    finished_ = true;  // no report for a run that never started
    uv_close(reinterpret_cast<uv_handle_t*>(&process_), nullptr);
    for (uv_pipe_t* pipe : {&stdin_, &stdout_, &stderr_}) closeHandle(reinterpret_cast<uv_handle_t*>(pipe));
    return Error{std::move(error)};
  }
  ++openHandles_;
  report_.pid = process_.pid;
  accepted_ = true;
  startReading();
  return {};
}

// The run's three pipes are made here; the worker's ends go to the
// launcher, which passes them to the worker it forks.
Result<> WorkerRun::launchVia(WorkerLauncher& launcher, uint64_t runId) {
  launcher_ = &launcher;
  launchedRunId_ = runId;
  Result<WorkerPipes> pipes = openWorkerPipes(loop_, &stdin_, &stdout_, &stderr_, this);
  if (!pipes) {
    delete this;
    return Error{pipes.error()};
  }
  openHandles_ += 3;
  markStarted();
  // Reading (and the request write) start first: the launcher may report
  // the run's end from inside launch(), when it turns out to be gone.
  accepted_ = true;
  startReading();
  if (Result<> launched = launcher.launch(runId, pipes->workerEnds, this, spec_.spareKind); !launched) {
    accepted_ = false;  // no report for a run that never started
    exited_ = true;
    stdoutOpen_ = stderrOpen_ = false;
    maybeFinish();
    return launched;
  }
  return {};
}

void WorkerRun::startReading() {
  uv_timer_init(loop_, &deadline_);
  deadline_.data = this;
  ++openHandles_;
  uv_timer_start(&deadline_, [](uv_timer_t* t) { owner(t->data)->onDeadline(); }, spec_.timeoutMs, 0);
  stdoutOpen_ = stderrOpen_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&stdout_), allocateBuffer, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    if (n > 0) owner(s->data)->onReplyBytes(b->base, static_cast<size_t>(n));
    else if (n < 0) owner(s->data)->onPipeEnd(s);
  });
  uv_read_start(reinterpret_cast<uv_stream_t*>(&stderr_), allocateBuffer, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    if (n > 0) owner(s->data)->onStderrBytes(b->base, static_cast<size_t>(n));
    else if (n < 0) owner(s->data)->onPipeEnd(s);
  });
  sendRequest();
}

void WorkerRun::onLaunched(int pid) { report_.pid = pid; }

void WorkerRun::onLaunchedRunExited(int64_t exitStatus, int termSignal) {
  // The launcher killed the worker's group before reaping it.
  onExit(exitStatus, termSignal);
}

void WorkerRun::onNotLaunched(const std::string& error) {
  report_.observation.spawned = false;
  report_.observation.spawnError = error;
  onExit(0, 0);
}

void WorkerRun::onLauncherLost() {
  report_.launcherLost = true;
  onExit(0, SIGKILL);  // its death signal, when the launcher went
}

void WorkerRun::sendRequest() {
  uv_buf_t buf = uv_buf_init(spec_.request.data(), static_cast<unsigned>(spec_.request.size()));
  write_.data = this;
  int rc = uv_write(&write_, reinterpret_cast<uv_stream_t*>(&stdin_), &buf, 1, [](uv_write_t* w, int) {
    // Whether or not the worker read it all, stdin is done: closing it is
    // the worker's end-of-request (a worker that died early is seen at exit).
    owner(w->data)->closeHandle(reinterpret_cast<uv_handle_t*>(&owner(w->data)->stdin_));
  });
  if (rc != 0) closeHandle(reinterpret_cast<uv_handle_t*>(&stdin_));
}

void WorkerRun::onReplyBytes(const char* data, size_t size) {
  if (report_.observation.reply != ReplyState::none) {
    // Anything after one whole reply, or after a refused one, is ignored;
    // extra bytes after a good reply spoil it.
    if (report_.observation.reply == ReplyState::ok) {
      report_.observation.reply = ReplyState::extraBytes;
      report_.reply.reset();
      killGroup();
    }
    return;
  }
  ipc::FrameStatus status = replyReader_.feed(data, size);
  if (status == ipc::FrameStatus::error) {
    bool oversize = replyReader_.error().find("oversize") != std::string::npos ||
                    replyReader_.error().find("cap") != std::string::npos;
    report_.observation.reply = oversize ? ReplyState::oversize : ReplyState::malformed;
    report_.observation.replyError = replyReader_.error();
    killGroup();  // do not wait for the deadline of a worker that talks nonsense
  } else if (status == ipc::FrameStatus::ready) {
    report_.reply = replyReader_.take();
    report_.observation.reply = replyReader_.bufferedBytes() > 0 ? ReplyState::extraBytes : ReplyState::ok;
    if (report_.observation.reply != ReplyState::ok) {
      report_.reply.reset();
      killGroup();
    }
  }
}

void WorkerRun::onStderrBytes(const char* data, size_t size) {
  size_t room = spec_.maxStderrBytes - std::min(spec_.maxStderrBytes, report_.stderrText.size());
  report_.stderrText.append(data, std::min(room, size));  // beyond the cap: drained, not kept
}

void WorkerRun::onPipeEnd(uv_stream_t* stream) {
  uv_read_stop(stream);
  if (stream == reinterpret_cast<uv_stream_t*>(&stdout_)) stdoutOpen_ = false;
  if (stream == reinterpret_cast<uv_stream_t*>(&stderr_)) stderrOpen_ = false;
  maybeFinish();
}

void WorkerRun::onExit(int64_t status, int signal) {
  exited_ = true;
  report_.observation.exitStatus = status;
  report_.observation.termSignal = signal;
  uv_update_time(loop_);
  report_.durationMs = static_cast<uint32_t>(uv_now(loop_) - startedMonoMs_);
  uv_timer_stop(&deadline_);
  uv_timer_start(&deadline_, [](uv_timer_t* t) {
    WorkerRun* run = owner(t->data);
    run->stdoutOpen_ = run->stderrOpen_ = false;  // give up on escaped holders
    run->maybeFinish();
  }, kPipeGraceMs, 0);
  maybeFinish();
}

void WorkerRun::onDeadline() {
  if (exited_) return;
  report_.observation.killedAtDeadline = true;
  CHECKER_LOG_WARN("worker %d: deadline of %u ms passed, killing its process group", report_.pid, spec_.timeoutMs);
  killGroup();
}

void WorkerRun::killNow() {
  if (exited_) return;
  report_.observation.killedAtDeadline = true;
  killGroup();
}

void WorkerRun::killGroup() {
  if (launcher_ != nullptr) {
    // Only the launcher knows whether the pid is still the worker's; after
    // the exit it has killed the group itself.
    if (!exited_) launcher_->kill(launchedRunId_);
    return;
  }
  if (report_.pid > 0) ::kill(-report_.pid, SIGKILL);
}

void WorkerRun::maybeFinish() {
  if (finished_ || !exited_) return;
  if (stdoutOpen_ || stderrOpen_) return;
  finished_ = true;
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&stdout_), reinterpret_cast<uv_handle_t*>(&stderr_),
                         reinterpret_cast<uv_handle_t*>(&stdin_), reinterpret_cast<uv_handle_t*>(&deadline_)}) {
    closeHandle(h);
  }
}

void WorkerRun::closeHandle(uv_handle_t* handle) {
  if (uv_is_closing(handle)) return;
  uv_close(handle, onHandleClosed);
}

void WorkerRun::onHandleClosed(uv_handle_t* handle) {
  WorkerRun* run = owner(handle->data);
  if (--run->openHandles_ > 0 || !run->finished_) return;
  // Every handle is closed: report (unless the run never started) and free.
  if (run->accepted_ && run->done_) {
    Done done = std::move(run->done_);
    WorkerRunReport report = std::move(run->report_);
    delete run;
    done(std::move(report));
    return;
  }
  delete run;
}

}  // namespace checker
