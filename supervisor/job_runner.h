#pragma once
// What runs a job's runs, chosen for each job when jobs are loaded: a worker
// (WorkerRunner, for every configured job), the mailer (MailLink, the email
// self-check) or peerd (PeerLink, the "peer NAME" checks). The run engine
// starts every run through this one interface; a runner tells the engine
// how each run ended through RunSink.
#include <cstdint>
#include <optional>

#include "config/job_catalog.h"
#include "state/run_outcome.h"
#include "state/state_writer.h"
#include "worker_runs/run_reply.h"

namespace checker {

// A finished run, classified: what the engine records for its job.
struct RunResult {
  ClassifiedRun run;
  ReplyFacts facts;  // the notices the job composed itself, if any
  int64_t startedUnixMs = 0;
  uint32_t durationMs = 0;
  std::optional<PeerRecord> peer;  // a peer check's answer
  bool spawnFailure = false;       // nothing could be started (counted)
};

// Why a run ended with nothing to record.
enum class Unrecorded {
  interrupted,   // killed by our own shutdown: not the job's fault
  launcherLost,  // the worker launcher died under it
  other,         // the runner said why (a helper child went away, no answer)
};

class RunSink {
 public:
  // Run RUN_ID is over: recorded (unless its job was removed meanwhile).
  virtual void runFinished(uint64_t runId, RunResult result) = 0;
  // Run RUN_ID is over with nothing known of it: not recorded.
  virtual void runEnded(uint64_t runId, Unrecorded why) = 0;
  // Run RUN_ID could not even start, and that is the job's result (the
  // self-check with no mailer to send): recorded, not counted as a run.
  // Only from within JobRunner::start, which then returns notStarted.
  virtual void runNotStarted(uint64_t runId, RunResult result) = 0;

 protected:
  ~RunSink() = default;
};

class JobRunner {
 public:
  enum class Start { started, notStarted };
  // Starts run RUN_ID of JOB. started: the sink hears of its end exactly
  // once (possibly before this returns). notStarted: it never will.
  virtual Start start(const JobDefinition& job, uint64_t runId) = 0;
  // The stop grace period is over: end run RUN_ID now (it still ends
  // through the sink). Runs with no process have nothing to kill.
  virtual void kill(uint64_t runId) = 0;
  // Does a run take one of the engine's run slots (maxConcurrentRuns) and
  // need the launcher ready? A process per run does; a probe among many in
  // one probe worker does not (BatchRunner bounds its own).
  virtual bool takesRunSlot() const { return true; }

 protected:
  ~JobRunner() = default;
};

}  // namespace checker
