#pragma once
// The supervisor's side of one probe worker (isolation = batch): a worker
// forked by the worker launcher like any run, into a sandbox of its own,
// that takes a stream of probes on its stdin and answers each on its
// stdout (worker/probe_session.h). This class owns the process's pipes on
// the loop: it writes the session request and then each probe request,
// reads the stream of results through a capped FrameReader, keeps the
// first 4 KiB of stderr, and tells its listener of each result and, once,
// of the worker's end. A malformed or oversize result kills the worker at
// once: a worker that talks nonsense is not trusted with another probe.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "ipc/framing.h"
#include "worker_runs/worker_launcher.h"

namespace checker {

struct ProbeWorkerEnd {
  bool started = true;      // false: the launcher could not fork it
  std::string startError;
  int64_t exitStatus = 0;
  int termSignal = 0;
  bool launcherLost = false;  // the launcher died (and the worker with it)
  std::string protocolError;  // why we killed it, if we did for its output
  std::string stderrText;     // the first 4 KiB
};

class ProbeWorker final : private WorkerLauncher::Listener {
 public:
  class Listener {
   public:
    // One probe's result (its root is ipc::ProbeReply, already checked).
    virtual void onProbeResult(std::unique_ptr<ipc::DecodedMessage> reply) = 0;
    // The worker is gone and every handle closed; the ProbeWorker frees
    // itself right after this returns.
    virtual void onProbeWorkerEnded(const ProbeWorkerEnd& end) = 0;

   protected:
    ~Listener() = default;
  };

  // Has LAUNCHER fork the probe worker as run RUN_ID and writes SESSION (a
  // framed WorkerRequest of kind `probes`). An Error when it could not be
  // asked for at all (the listener then hears nothing).
  static Result<ProbeWorker*> launch(uv_loop_t* loop, WorkerLauncher& launcher, uint64_t runId,
                                     const std::string& session, Listener* listener);

  // Queues framed ProbeRequests (one or several, back to back).
  void send(std::string frame);
  // SIGKILLs the worker's process group; its end still comes to the listener.
  void kill();
  // Closes its stdin: the worker answers what it holds, then exits.
  void finishInput();
  int pid() const { return pid_; }
  uint64_t runId() const { return runId_; }

  ProbeWorker(const ProbeWorker&) = delete;
  ProbeWorker& operator=(const ProbeWorker&) = delete;

 private:
  ProbeWorker(uv_loop_t* loop, WorkerLauncher& launcher, uint64_t runId, Listener* listener);
  ~ProbeWorker() = default;
  Result<> start(const std::string& session);
  // WorkerLauncher::Listener
  void onLaunched(int pid) override;
  void onLaunchedRunExited(int64_t exitStatus, int termSignal) override;
  void onNotLaunched(const std::string& error) override;
  void onLauncherLost() override;
  void onResultBytes(const char* data, size_t size);
  void onPipeEnd(uv_stream_t* stream);
  void maybeFinish();
  void closeHandle(uv_handle_t* handle);
  static void onHandleClosed(uv_handle_t* handle);

  uv_loop_t* loop_;
  WorkerLauncher& launcher_;
  uint64_t runId_;
  Listener* listener_;
  ipc::FrameReader reader_;
  ProbeWorkerEnd end_;
  uv_pipe_t stdin_{}, stdout_{}, stderr_{};
  uv_timer_t pipeGrace_{};
  int pid_ = 0;
  int openHandles_ = 0;
  int pendingWrites_ = 0;
  bool closeInputWhenWritten_ = false;
  bool exited_ = false, stdoutOpen_ = false, stderrOpen_ = false, inputOpen_ = false;
  bool finished_ = false, accepted_ = false;
};

}  // namespace checker
