// Peering as the supervisor sees it. peerd (a long-lived child, like the
// mailer) answers other instances with the health pushed from here: a
// heartbeat from this loop every few seconds, the mail health, and whether
// due jobs can start. And each `[peers]` line is a system job "peer NAME",
// due on `[peerd] check_every`, that peerd runs (one GET with the
// configured timeout); its answer goes through the same policy, state and
// outbox as any job's, addressed to that peer's admin.
#include <algorithm>

#include "common/log.h"
#include "common/utf8_text.h"
#include "supervisor/supervisor.h"

namespace checker {
namespace {

// peerd has the query's timeout to ask; this much more to report.
constexpr uint64_t kPeerAnswerSlackMs = 5'000;

std::string paramOf(const JobDefinition& def, const char* key) {
  for (const auto& [name, value] : def.params()) {
    if (name == key) return value;
  }
  return {};
}

}  // namespace

bool Supervisor::isPeerCheck(const Job& job) const {
  return job.def.system() && job.def.type() == "peer" && peerd_ != nullptr;
}

std::vector<std::string> Supervisor::recipientsOf(const Job& job) const {
  if (job.def.system() && job.def.type() == "peer") return {paramOf(job.def, "admin")};
  return config_.general.alertContacts;
}

void Supervisor::startPeerCheck(size_t index) {
  Job& job = jobs_[index];
  uint64_t id = nextRunId_++;
  uint32_t timeoutMs = static_cast<uint32_t>(config_.peerd.timeout.count());
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<ipc::ToPeerd>().initQuery();
  query.setQueryId(id);
  query.setName(paramOf(job.def, "peer"));
  query.setTimeoutMs(timeoutMs);
  // Our own peerd being restarted says nothing about the peer.
  if (!peerd_->ready() || !peerd_->send(message)) {
    CHECKER_LOG_WARN("job %s: not asked, peerd is being restarted; asked again when next due", job.def.name().c_str());
    return;
  }
  job.phase = Phase::running;
  job.runId = id;
  ++running_;
  ++stats_.runsStarted;
  uint64_t now = uv_now(loop_);
  peerQueries_[id] = PeerQueryRun{index, wallClockNowMs(), now, now + timeoutMs + kPeerAnswerSlackMs};
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&peerGuard_))) {
    uv_timer_start(&peerGuard_, [](uv_timer_t* t) { static_cast<Supervisor*>(t->data)->expirePeerQueries(); }, 1000,
                   1000);
  }
}

void Supervisor::onPeerAnswer(ipc::PeerAnswer::Reader answer) {
  auto found = peerQueries_.find(answer.getQueryId());
  if (found == peerQueries_.end()) return;  // expired or from before a restart
  PeerQueryRun query = found->second;
  peerQueries_.erase(found);
  Job& job = jobs_[query.job];
  job.phase = Phase::idle;
  --running_;
  ++stats_.runsFinished;
  bool healthy = answer.getStatus() == ipc::PeerStatus::HEALTHY;
  // Words from a stranger on the network, on their way to the state, the
  // page and a mail: cleaned here, at the boundary, as a job's are.
  capnp::Text::Reader said = answer.getMessage();
  std::string message = cleanLine(std::string_view(said.cStr(), said.size()), kMaxLineBytes);
  std::string peerName = paramOf(job.def, "peer");
  std::string url = paramOf(job.def, "url");
  ClassifiedRun run{healthy ? ipc::Outcome::OK : ipc::Outcome::FAILED, 0, message};
  ReplyFacts facts;
  std::string where = "peer " + peerName + " (" + url + ")";
  facts.failureNotice = ComposedNotice{
      where + ": " + message,
      "The peer " + peerName + " at " + url + ", asked by " + config_.general.serverName +
          ", did not answer that it is healthy.\nError: " + message +
          "\n\nYou get this mail as the admin given for that peer."};
  facts.recoveryNotice = ComposedNotice{where + " answers True again",
                                        "The peer " + peerName + " at " + url + " answers that it is healthy again."};
  PeerRecord record{peerName, url, answer.getStatus(), message, 0};
  recordOutcome(job, run, facts, query.startedUnixMs, static_cast<uint32_t>(uv_now(loop_) - query.startedMonoMs),
                std::move(record));
  startWaiting();
  finishStopIfIdle();
}

void Supervisor::expirePeerQueries() {
  uint64_t now = uv_now(loop_);
  for (auto it = peerQueries_.begin(); it != peerQueries_.end();) {
    if (it->second.deadlineMonoMs > now) {
      ++it;
      continue;
    }
    Job& job = jobs_[it->second.job];
    // peerd's own deadline passed without an answer: our fault, not the peer's.
    CHECKER_LOG_WARN("job %s: peerd did not report an answer in time; not recorded", job.def.name().c_str());
    job.phase = Phase::idle;
    --running_;
    ++stats_.runsFinished;
    it = peerQueries_.erase(it);
  }
  if (peerQueries_.empty()) uv_timer_stop(&peerGuard_);
  finishStopIfIdle();
}

void Supervisor::endPeerQueriesUnrecorded(const char* why) {
  if (peerQueries_.empty()) return;
  CHECKER_LOG_WARN("%zu peer quer%s not recorded: %s", peerQueries_.size(), peerQueries_.size() == 1 ? "y" : "ies",
                   why);
  for (const auto& [id, query] : peerQueries_) {
    jobs_[query.job].phase = Phase::idle;
    --running_;
    ++stats_.runsFinished;
  }
  peerQueries_.clear();
  uv_timer_stop(&peerGuard_);
}

void Supervisor::pushHealth() {
  int64_t now = wallClockNowMs();
  MailHealth mail = mailHealth(lastSelfCheck_, outbox_ ? outbox_->statuses() : std::vector<OutboxStatus>{}, now);
  if (mail.problem != mailProblem_) {
    if (mail.problem) CHECKER_LOG_WARN("mail path broken, peers are told MailProblem: %s", mail.why.c_str());
    else CHECKER_LOG_INFO("mail path healthy again");
    mailProblem_ = mail.problem;
  }
  // Jobs due but unable to start for longer than the window (no worker
  // launcher, say) are a scheduler that has stopped running jobs.
  bool schedulerOk = waiting_.empty() || now - jobs_[waiting_.front()].waitingDueMs <= config_.peerd.jobProblemAfter.count();
  if (!peerd_ || !peerd_->ready()) return;
  capnp::MallocMessageBuilder message;
  auto health = message.initRoot<ipc::ToPeerd>().initHealth();
  health.setMailProblem(mail.problem);
  health.setHeartbeatUnixMs(now);
  health.setSchedulerOk(schedulerOk);
  writeSupervisorCounters({stats_.runs, stats_.spawnFailures, stats_.overruns, stats_.runsLostWithLauncher},
                          health.initMetrics());
  peerd_->send(message);
}

void Supervisor::pushJobList() {
  if (!peerd_ || !peerd_->ready()) return;  // sent again when it is
  capnp::MallocMessageBuilder message;
  size_t live = static_cast<size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.retired; }));
  auto list = message.initRoot<ipc::ToPeerd>().initJobs().initJobs(static_cast<unsigned>(live));
  unsigned i = 0;
  for (const Job& job : jobs_) {
    if (job.retired) continue;
    list[i].setId(job.def.id());
    list[i].setName(job.def.name());
    ++i;
  }
  peerd_->send(message);
}

void Supervisor::onPeerdReady() {
  pushHealth();
  pushJobList();
}

void Supervisor::onPeerdMessage(ipc::DecodedMessage& decoded) {
  auto message = decoded.root<ipc::FromPeerd>();
  if (message.isAnswer()) return onPeerAnswer(message.getAnswer());
  if (message.isListening()) {
    auto listening = message.getListening();
    peerdReported_ = true;
    if (listening.getOk()) {
      CHECKER_LOG_INFO("peerd: answering peers on %s", listening.getAddress().cStr());
    } else {
      CHECKER_LOG_ERROR("peerd: cannot listen: %s", listening.getError().cStr());
    }
    notifyReadyIfUp();
  }
}

void Supervisor::onPeerdLost() {
  endPeerQueriesUnrecorded("peerd went away during the query");
  finishStopIfIdle();
}

}  // namespace checker
