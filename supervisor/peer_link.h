#pragma once
// The supervisor's link to checker-peerd, the helper child that answers
// other instances and asks them (peerd/). It owns peerd's channel, pushes
// it this instance's health (a heartbeat from the loop, the mail health,
// whether due jobs can start, the run counters) and the job list, and is
// the JobRunner of the "peer NAME" system jobs: each run is one query that
// peerd answers, or that expires. Without peerd (empty path) peers are
// neither asked nor answered, but a change of the mail health is still logged.
//
// Confirmation (issue 19): confirm() has peerd ask peers for their view of
// a job (done is called exactly once, whatever happens to peerd); and a
// peer's question that needs a fresh run here reaches the run engine as a
// RunNow from peerd, answered once with a RunNowDone.
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
#include "peering/peer_view.h"
#include "state/mail_health.h"
#include "state/run_metrics.h"
#include "supervisor/helper_channel.h"
#include "supervisor/job_runner.h"
#include "supervisor/run_clock.h"
#include "supervisor/run_engine.h"

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
    // A peer's question wants a fresh run of a job (RunEngine::runNow).
    std::function<RunEngine::RunNow(const std::string& jobId, RunEngine::RunNowDone done)> runNow;
    // The job's newest recorded result (RunEngine::newestResult): the answer
    // when it is too soon to run it again, fresher than the state peerd
    // reads, which a run just recorded may not have reached yet.
    std::function<std::optional<RunEngine::FreshRun>(const std::string& jobId)> newestResult = {};
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

  // Asks PEERS ([peers] names with a secret) for their view of job JOB_ID,
  // whose failure here began at AFTER_UNIX_MS. DONE is called exactly once
  // with one view per peer in the order given: by peerd's answer, or at the
  // deadline, or when peerd is restarting or goes away (then every peer is
  // unreachable), from the loop; only on an instance without peerd at all
  // is it called before confirm returns (every peer unreachable).
  using ConfirmDone = std::function<void(std::vector<PeerView>)>;
  void confirm(const std::string& jobId, const std::vector<std::string>& peers, int64_t afterUnixMs,
               ConfirmDone done);
  // How long a confirmation may take: [peerd] timeout plus the peers' run
  // allowance (kMaxConfirmWaitMs), plus peerd's margin to report.
  uint64_t confirmDeadlineMs() const;

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

  struct Confirmation {
    std::vector<std::string> peers;
    uint64_t deadlineMonoMs;
    ConfirmDone done;
  };
  void onAnswer(ipc::PeerAnswer::Reader answer);
  void onConfirmed(ipc::Confirmed::Reader confirmed);
  void onRunNow(ipc::RunNow::Reader runNow);
  // RAN: FRESH is a run that ended while the question waited; else the
  // job's newest result (or nothing: peerd answers from the state).
  void replyRunNow(uint64_t requestId, const std::optional<RunEngine::FreshRun>& fresh, bool ran = true);
  // Ends the confirmations (all, or those past their deadline) with every peer unreachable: WHY.
  void endConfirmations(bool all, const std::string& why);
  void armGuard();
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
  std::unordered_map<uint64_t, Confirmation> confirmations_;  // by ask id
  uint64_t nextAskId_ = 1;
  size_t runNowsWaiting_ = 0;  // RunNows not answered yet (bounded)
  uv_timer_t guard_{};      // expires queries peerd did not answer
  uv_timer_t heartbeat_{};  // pushes health to peerd
  bool mailProblem_ = false;  // what peers were last told
  bool listeningReported_ = false;
};

}  // namespace checker
