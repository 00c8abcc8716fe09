#pragma once
// The supervisor's link to checker-peerd, the helper child that answers
// other instances and asks them (peerd/). It owns peerd's channel, pushes
// it this instance's health (a heartbeat from the loop, the mail health,
// whether due jobs can start, the run counters) and the job list, and is
// the JobRunner of the "peer NAME" system jobs: each run is one query that
// peerd answers, or that expires. Without peerd (empty path) peers are
// neither asked nor answered, but a change of the mail health is still logged.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "ipc/peerd.capnp.h"
#include "state/mail_health.h"
#include "state/run_metrics.h"
#include "supervisor/helper_channel.h"
#include "supervisor/job_runner.h"
#include "supervisor/run_clock.h"

namespace checker {

class PeerLink final : public JobRunner, private HelperChannel::Listener {
 public:
  // What the health and job list pushed to peerd are made of.
  struct Sources {
    std::function<MailHealth(int64_t nowUnixMs)> mailHealth;
    std::function<std::optional<int64_t>()> oldestWaitingDueMs;  // a due run waiting for a slot
    std::function<SupervisorCounters()> counters;
    std::function<std::vector<std::pair<std::string, std::string>>()> jobs;  // (id, name)
    std::function<void()> listeningReported;  // peerd listens, or said why it cannot
  };
  // CONFIG is the supervisor's, replaced in place by a reload.
  PeerLink(uv_loop_t* loop, Clock& clock, const Config& config, RunSink& sink, std::string peerdPath,
           Sources sources);
  ~PeerLink();

  // Spawns peerd (if any) and starts the heartbeat; an error when it
  // cannot be spawned at all.
  Result<> open();
  bool enabled() const { return peerd_ != nullptr; }
  // Has peerd reported its listening socket (or why it has none)?
  bool listeningReported() const { return listeningReported_; }

  // JobRunner: one query per run.
  Start start(const JobDefinition& job, uint64_t runId) override;
  void kill(uint64_t) override {}  // no process: ended at stop
  void endRunsUnrecorded(const char* why);

  void pushHealth();
  void pushJobList();
  // After a reload: peerd reads the config itself, so a change to what it
  // reads restarts it.
  void restartIfChanged(const Config& before);
  void close();

 private:
  struct Query {
    std::string jobName, peer, url;
    int64_t startedUnixMs;
    uint64_t startedMonoMs;
    uint64_t deadlineMonoMs;  // past this without an answer: not recorded
  };
  // HelperChannel::Listener
  void onChildReady(HelperChannel& child) override;
  void onChildMessage(HelperChannel& child, ipc::DecodedMessage& message) override;
  void onChildLost(HelperChannel& child) override;

  void onAnswer(ipc::PeerAnswer::Reader answer);
  void onListening(ipc::Listening::Reader listening);
  void expireQueries();

  uv_loop_t* loop_;
  Clock& clock_;
  const Config& config_;
  RunSink& sink_;
  std::string peerdPath_;
  Sources sources_;
  std::unique_ptr<HelperChannel> peerd_;
  std::unordered_map<uint64_t, Query> queries_;  // by query id (the run id)
  uv_timer_t guard_{};      // expires queries peerd did not answer
  uv_timer_t heartbeat_{};  // pushes health to peerd
  bool mailProblem_ = false;  // what peers were last told
  bool listeningReported_ = false;
};

}  // namespace checker
