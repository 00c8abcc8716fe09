#pragma once
// The JobRunner of every configured job: has the job's worker started by
// the RunLauncher and classifies its report (the worker's reply, exit,
// deadline, limits) into the run's result. A run killed at the end of the
// stop grace period ends interrupted; one the launcher died under, lost.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "supervisor/job_runner.h"
#include "supervisor/run_launcher.h"

namespace checker {

class WorkerRunner final : public JobRunner {
 public:
  WorkerRunner(RunLauncher& launcher, RunSink& sink, std::function<int64_t()> wallMs)
      : launcher_(launcher), sink_(sink), wallMs_(std::move(wallMs)) {}

  Start start(const JobDefinition& job, uint64_t runId) override;
  void kill(uint64_t runId) override;

  // What a finished worker run with LIMITS says: classified, with the
  // notices the job composed.
  static RunResult classify(const JobLimits& limits, WorkerRunReport& report);

 private:
  struct Run {
    JobLimits limits;  // the ones it runs with, whatever a reload does meanwhile
    bool interrupted = false;  // killed by our own stop
  };
  void onDone(uint64_t runId, WorkerRunReport&& report, bool spawnFailure = false);

  RunLauncher& launcher_;
  RunSink& sink_;
  std::function<int64_t()> wallMs_;
  std::unordered_map<uint64_t, Run> runs_;  // in progress, by run id
};

}  // namespace checker
