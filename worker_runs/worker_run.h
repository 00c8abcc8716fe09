#pragma once
// One worker process, from spawn to the last closed handle, on the caller's
// libuv loop. The worker is either spawned here (uv_spawn of checker-worker,
// one exec per run: `checker run-job`, plugin expansion) or forked by the
// worker launcher (checkerd's runs; worker_runs/worker_launcher.h). Both
// speak the same request and reply over the run's own pipes. The run is over when the worker has exited AND its stdout and
// stderr pipes are closed (or were force-closed after a grace period); only
// then is `done` called, exactly once, and the object frees itself.
//
// Whatever the worker does, the reader is bounded: the reply is read through
// a FrameReader with a hard cap (a bad or oversize reply kills the process
// group at once instead of waiting for the deadline), stderr is kept up to a
// cap and drained beyond it, and the whole process group is SIGKILLed after
// the worker exits so nothing of the run is left behind.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "ipc/framing.h"
#include "state/run_outcome.h"
#include "worker_runs/worker_launcher.h"

namespace checker {

struct WorkerRunSpec {
  std::string workerPath;
  std::string request;            // one framed WorkerRequest
  uint32_t timeoutMs = 30'000;    // wall clock; then the process group is killed
  size_t maxReplyBytes = 1 << 20;
  size_t maxStderrBytes = 4096;
  SpareKind spareKind = SpareKind::isolated;  // the launcher's spare for its type
};

struct WorkerRunReport {
  RunObservation observation;     // spawn, exit, deadline and reply facts
  std::unique_ptr<ipc::DecodedMessage> reply;  // set when observation.reply == ok
  int pid = 0;
  int64_t startedUnixMs = 0;
  uint32_t durationMs = 0;        // spawn to exit, monotonic
  std::string stderrText;         // up to maxStderrBytes
  // The launcher died while the run was going (the worker died with it):
  // nothing is known of the run, and it was not the job's doing.
  bool launcherLost = false;
};

class WorkerRun final : private WorkerLauncher::Listener {
 public:
  using Done = std::function<void(WorkerRunReport&&)>;

  // Spawns the worker. On failure returns an Error and never calls DONE.
  // On success DONE is called later from the loop; the run frees itself
  // after it.
  static Result<WorkerRun*> start(uv_loop_t* loop, const WorkerRunSpec& spec, Done done);
  // The same, with the worker forked by LAUNCHER as run RUNID
  // (spec.workerPath is not used).
  static Result<WorkerRun*> launch(uv_loop_t* loop, WorkerLauncher& launcher, uint64_t runId,
                                   const WorkerRunSpec& spec, Done done);

  // SIGKILLs the worker's process group now (used at shutdown); the run
  // then finishes as usual, classified as killed at the deadline.
  void killNow();
  int pid() const { return report_.pid; }

  WorkerRun(const WorkerRun&) = delete;
  WorkerRun& operator=(const WorkerRun&) = delete;

 private:
  WorkerRun(uv_loop_t* loop, const WorkerRunSpec& spec, Done done);
  ~WorkerRun() = default;
  // On failure both have arranged the run's own cleanup.
  void markStarted();
  Result<> spawn();
  Result<> launchVia(WorkerLauncher& launcher, uint64_t runId);
  void startReading();
  void sendRequest();
  // WorkerLauncher::Listener
  void onLaunched(int pid) override;
  void onLaunchedRunExited(int64_t exitStatus, int termSignal) override;
  void onNotLaunched(const std::string& error) override;
  void onLauncherLost() override;
  void onExit(int64_t status, int signal);
  void onReplyBytes(const char* data, size_t size);
  void onStderrBytes(const char* data, size_t size);
  void onPipeEnd(uv_stream_t* stream);
  void onDeadline();
  void killGroup();
  void maybeFinish();
  void closeHandle(uv_handle_t* handle);
  static void onHandleClosed(uv_handle_t* handle);

  uv_loop_t* loop_;
  WorkerLauncher* launcher_ = nullptr;  // set when the launcher forked the worker
  uint64_t launchedRunId_ = 0;
  WorkerRunSpec spec_;
  Done done_;
  WorkerRunReport report_;
  ipc::FrameReader replyReader_;
  uv_process_t process_{};
  uv_pipe_t stdin_{}, stdout_{}, stderr_{};
  uv_timer_t deadline_{};
  uv_write_t write_{};
  uint64_t startedMonoMs_ = 0;
  bool exited_ = false;
  bool stdoutOpen_ = false, stderrOpen_ = false;
  int openHandles_ = 0;
  bool finished_ = false;
  bool accepted_ = false;  // spawned, or taken by the launcher: a report is due
};

}  // namespace checker
