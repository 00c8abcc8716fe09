// Peering as the supervisor sees it. peerd (a long-lived child, like the
// mailer) answers other instances with the health pushed from here: a
// heartbeat from this loop every few seconds, the mail health, and whether
// due jobs can start. And each `[peers]` line is a system job "peer NAME",
// due on `[peerd] check_every`, that peerd runs (one GET with the
// configured timeout); its answer goes through the same policy, state and
// outbox as any job's, addressed to that peer's admin.
#include "supervisor/peer_link.h"

#include <algorithm>

#include "common/log.h"
#include "common/utf8_text.h"
#include "peering/confirm_request.h"
#include "worker_runs/run_reply.h"

namespace checker {
namespace {

// peerd has the query's timeout to ask; this much more to report.
constexpr uint64_t kPeerAnswerSlackMs = 5'000;
// RunNows from peerd waiting for their run at once; beyond, answered "not
// run" at once. peerd bounds them itself; this holds whatever it sends.
constexpr size_t kMaxRunNowsWaiting = 64;

PeerView::Verdict verdictOf(ipc::ConfirmVerdict verdict) {
  switch (verdict) {
    case ipc::ConfirmVerdict::FAILING: return PeerView::Verdict::failing;
    case ipc::ConfirmVerdict::OK: return PeerView::Verdict::ok;
    case ipc::ConfirmVerdict::NEVER_RUN: return PeerView::Verdict::neverRun;
    case ipc::ConfirmVerdict::UNKNOWN_JOB: return PeerView::Verdict::unknownJob;
    case ipc::ConfirmVerdict::REFUSED: return PeerView::Verdict::refused;
    case ipc::ConfirmVerdict::UNREACHABLE: break;
  }
  return PeerView::Verdict::unreachable;
}

std::vector<PeerView> allUnreachable(const std::vector<std::string>& peers, const std::string& why) {
  std::vector<PeerView> views;
  for (const std::string& peer : peers) views.push_back(PeerView{peer, PeerView::Verdict::unreachable, 0, false, why});
  return views;
}

// The notices of a peer that does not answer healthy, as a job composes its own.
ReplyFacts peerNotices(const std::string& peer, const std::string& url, const std::string& serverName,
                       const std::string& message) {
  ReplyFacts facts;
  std::string where = "peer " + peer + " (" + url + ")";
  facts.failureNotice = ComposedNotice{
      where + ": " + message,
      "The peer " + peer + " at " + url + ", asked by " + serverName +
          ", did not answer that it is healthy.\nError: " + message +
          "\n\nYou get this mail as the admin given for that peer."};
  facts.recoveryNotice = ComposedNotice{where + " answers True again",
                                        "The peer " + peer + " at " + url + " answers that it is healthy again."};
  return facts;
}

}  // namespace

PeerLink::PeerLink(uv_loop_t* loop, Clock& clock, const Config& config, RunSink& sink, std::string peerdPath,
                   Sources sources)
    : loop_(loop),
      clock_(clock),
      config_(config),
      sink_(sink),
      peerdPath_(std::move(peerdPath)),
      sources_(std::move(sources)) {}

PeerLink::~PeerLink() = default;

Result<> PeerLink::open() {
  if (peerdPath_.empty()) return {};
  peerd_ = std::make_unique<HelperChannel>(loop_, "peerd", peerdPath_, config_.path,
                                           static_cast<HelperChannel::Listener*>(this));
  uv_timer_init(loop_, &guard_);
  uv_timer_init(loop_, &heartbeat_);
  guard_.data = this;
  heartbeat_.data = this;
  if (Result<> started = peerd_->start(); !started) return started;
  // Several heartbeats per window, so one late tick is never JobProblem.
  uint64_t every = std::clamp<uint64_t>(static_cast<uint64_t>(config_.peerd.jobProblemAfter.count()) / 4, 250, 10'000);
  uv_timer_start(&heartbeat_, [](uv_timer_t* t) { static_cast<PeerLink*>(t->data)->pushHealth(); }, every, every);
  return {};
}

JobRunner::Start PeerLink::start(const JobDefinition& job, uint64_t runId) {
  if (!peerd_) return Start::notStarted;
  uint32_t timeoutMs = static_cast<uint32_t>(config_.peerd.timeout.count());
  std::string peer = job.param("peer");
  capnp::MallocMessageBuilder message;
  auto query = message.initRoot<ipc::ToPeerd>().initQuery();
  query.setQueryId(runId);
  query.setName(peer);
  query.setTimeoutMs(timeoutMs);
  // Our own peerd being restarted says nothing about the peer.
  if (!peerd_->ready() || !peerd_->send(message)) {
    CHECKER_LOG_WARN("job %s: not asked, peerd is being restarted; asked again when next due", job.name().c_str());
    return Start::notStarted;
  }
  uint64_t now = clock_.monoMs();
  queries_[runId] = Query{job.name(), peer, job.param("url"), clock_.wallMs(), now,
                          now + timeoutMs + kPeerAnswerSlackMs};
  armGuard();
  return Start::started;
}

void PeerLink::armGuard() {
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&guard_))) {
    uv_timer_start(&guard_, [](uv_timer_t* t) {
      auto* self = static_cast<PeerLink*>(t->data);
      self->expireQueries();
      self->endConfirmations(false, "peerd did not report the answers in time");
    }, 1000, 1000);
  }
}

uint64_t PeerLink::confirmDeadlineMs() const {
  return static_cast<uint64_t>(config_.peerd.timeout.count()) + peerd::kMaxConfirmWaitMs + kPeerAnswerSlackMs;
}

void PeerLink::confirm(const std::string& jobId, const std::vector<std::string>& peers, int64_t afterUnixMs,
                       ConfirmDone done) {
  uint64_t askId = nextAskId_++;
  confirmations_[askId] = Confirmation{peers, clock_.monoMs() + confirmDeadlineMs(), std::move(done)};
  capnp::MallocMessageBuilder message;
  auto ask = message.initRoot<ipc::ToPeerd>().initConfirm();
  ask.setAskId(askId);
  ask.setJobId(jobId);
  ask.setAfterUnixMs(afterUnixMs);
  auto names = ask.initPeers(static_cast<unsigned>(peers.size()));
  for (unsigned i = 0; i < peers.size(); ++i) names.set(i, peers[i]);
  if (peers.empty() || !peerd_ || !peerd_->ready() || !peerd_->send(message)) {
    // Never from within confirm: the caller may still be setting up.
    confirmations_[askId].deadlineMonoMs = 0;
    if (peerd_) armGuard();
    else endConfirmations(false, "peerd is not running");  // no loop handles without peerd: ends now
    return;
  }
  armGuard();
}

void PeerLink::onConfirmed(ipc::Confirmed::Reader confirmed) {
  auto found = confirmations_.find(confirmed.getAskId());
  if (found == confirmations_.end()) return;  // expired
  Confirmation confirmation = std::move(found->second);
  confirmations_.erase(found);
  std::vector<PeerView> views;
  for (const std::string& peer : confirmation.peers) {
    PeerView view{peer, PeerView::Verdict::unreachable, 0, false, "peerd gave no view of this peer"};
    for (auto v : confirmed.getViews()) {
      if (v.getPeer() != peer.c_str()) continue;
      capnp::Text::Reader said = v.getMessage();
      view = PeerView{peer, verdictOf(v.getVerdict()), v.getLastRunUnixMs(), v.getRanNow(),
                      cleanLine(std::string_view(said.cStr(), said.size()), kMaxLineBytes)};
      break;
    }
    views.push_back(std::move(view));
  }
  confirmation.done(std::move(views));
}

void PeerLink::endConfirmations(bool all, const std::string& why) {
  uint64_t now = clock_.monoMs();
  std::vector<Confirmation> ended;
  for (auto it = confirmations_.begin(); it != confirmations_.end();) {
    if (!all && it->second.deadlineMonoMs > now) {
      ++it;
      continue;
    }
    ended.push_back(std::move(it->second));
    it = confirmations_.erase(it);
  }
  if (queries_.empty() && confirmations_.empty() && peerd_) uv_timer_stop(&guard_);
  for (Confirmation& c : ended) c.done(allUnreachable(c.peers, "not asked: " + why));
}

void PeerLink::onRunNow(ipc::RunNow::Reader request) {
  uint64_t requestId = request.getRequestId();
  std::string jobId = request.getJobId();
  if (runNowsWaiting_ >= kMaxRunNowsWaiting || !sources_.runNow) return replyRunNow(requestId, std::nullopt);
  ++runNowsWaiting_;
  // The engine may be gone by the time a run ends only with the supervisor;
  // PeerLink lives as long.
  RunEngine::RunNow started = sources_.runNow(jobId, [this, requestId](std::optional<RunEngine::FreshRun> fresh) {
    --runNowsWaiting_;
    replyRunNow(requestId, fresh);
  });
  if (started != RunEngine::RunNow::started && started != RunEngine::RunNow::joined) {
    --runNowsWaiting_;
    // Too soon after a run now for another question: that run's result (or
    // a later one) is what this question gets, not the state, which may
    // not hold it yet.
    bool tooSoon = started == RunEngine::RunNow::tooSoon && sources_.newestResult;
    replyRunNow(requestId, tooSoon ? sources_.newestResult(jobId) : std::nullopt, /*ran=*/false);
  }
}

void PeerLink::replyRunNow(uint64_t requestId, const std::optional<RunEngine::FreshRun>& fresh, bool ran) {
  if (!peerd_ || !peerd_->ready()) return;  // a restarted peerd asked nothing
  capnp::MallocMessageBuilder message;
  auto done = message.initRoot<ipc::ToPeerd>().initRunNowDone();
  done.setRequestId(requestId);
  done.setRan(ran && fresh.has_value());
  if (fresh) {
    done.setHealth(fresh->health == JobHealth::failing ? ipc::Health::FAILING
                   : fresh->health == JobHealth::ok    ? ipc::Health::OK
                                                       : ipc::Health::NEVER_RUN);
    done.setLastRunUnixMs(fresh->startedUnixMs);
    done.setOutcome(fresh->outcome);
    done.setMessage(fresh->message);
  }
  peerd_->send(message);
}

void PeerLink::onAnswer(ipc::PeerAnswer::Reader answer) {
  uint64_t runId = answer.getQueryId();
  auto found = queries_.find(runId);
  if (found == queries_.end()) return;  // expired or from before a restart
  Query query = std::move(found->second);
  queries_.erase(found);
  bool healthy = answer.getStatus() == ipc::PeerStatus::HEALTHY;
  // Words from a stranger on the network, on their way to the state, the
  // page and a mail: cleaned here, at the boundary, as a job's are.
  capnp::Text::Reader said = answer.getMessage();
  std::string message = cleanLine(std::string_view(said.cStr(), said.size()), kMaxLineBytes);
  RunResult result;
  result.run = ClassifiedRun{healthy ? ipc::Outcome::OK : ipc::Outcome::FAILED, 0, message};
  result.facts = peerNotices(query.peer, query.url, config_.general.serverName, message);
  result.startedUnixMs = query.startedUnixMs;
  result.durationMs = static_cast<uint32_t>(clock_.monoMs() - query.startedMonoMs);
  result.peer = PeerRecord{query.peer, query.url, answer.getStatus(), message, 0};
  sink_.runFinished(runId, std::move(result));
}

void PeerLink::expireQueries() {
  uint64_t now = clock_.monoMs();
  std::vector<uint64_t> expired;
  for (auto it = queries_.begin(); it != queries_.end();) {
    if (it->second.deadlineMonoMs > now) {
      ++it;
      continue;
    }
    // peerd's own deadline passed without an answer: our fault, not the peer's.
    CHECKER_LOG_WARN("job %s: peerd did not report an answer in time; not recorded", it->second.jobName.c_str());
    expired.push_back(it->first);
    it = queries_.erase(it);
  }
  if (queries_.empty()) uv_timer_stop(&guard_);
  for (uint64_t runId : expired) sink_.runEnded(runId, Unrecorded::other);
}

void PeerLink::endRunsUnrecorded(const char* why) {
  if (queries_.empty()) return;
  CHECKER_LOG_WARN("%zu peer quer%s not recorded: %s", queries_.size(), queries_.size() == 1 ? "y" : "ies", why);
  std::unordered_map<uint64_t, Query> ended = std::move(queries_);
  queries_.clear();
  uv_timer_stop(&guard_);
  for (const auto& [runId, query] : ended) sink_.runEnded(runId, Unrecorded::other);
}

void PeerLink::pushHealth() {
  int64_t now = clock_.wallMs();
  MailHealth mail = sources_.mailHealth(now);
  if (mail.problem != mailProblem_) {
    if (mail.problem) CHECKER_LOG_WARN("mail path broken, peers are told MailProblem: %s", mail.why.c_str());
    else CHECKER_LOG_INFO("mail path healthy again");
    mailProblem_ = mail.problem;
  }
  if (!peerd_ || !peerd_->ready()) return;
  // Jobs due but unable to start for longer than the window (no worker
  // launcher, say) are a scheduler that has stopped running jobs.
  std::optional<int64_t> waitingSince = sources_.oldestWaitingDueMs();
  bool schedulerOk = !waitingSince || now - *waitingSince <= config_.peerd.jobProblemAfter.count();
  capnp::MallocMessageBuilder message;
  auto health = message.initRoot<ipc::ToPeerd>().initHealth();
  health.setMailProblem(mail.problem);
  health.setHeartbeatUnixMs(now);
  health.setSchedulerOk(schedulerOk);
  writeSupervisorCounters(sources_.counters(), health.initMetrics());
  peerd_->send(message);
}

void PeerLink::pushJobList() {
  if (!peerd_ || !peerd_->ready()) return;  // sent again when it is
  std::vector<std::pair<std::string, std::string>> jobs = sources_.jobs();
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<ipc::ToPeerd>().initJobs().initJobs(static_cast<unsigned>(jobs.size()));
  for (unsigned i = 0; i < jobs.size(); ++i) {
    list[i].setId(jobs[i].first);
    list[i].setName(jobs[i].second);
  }
  peerd_->send(message);
}

void PeerLink::restartIfChanged(const Config& before) {
  // peerd's page says whether nomail is set: the one [email] key it reads.
  if (peerd_ && (!(before.general == config_.general) || !(before.peers == config_.peers) ||
                 !(before.peerd == config_.peerd) || before.email.noMail != config_.email.noMail)) {
    CHECKER_LOG_INFO("reload: [peers], [peerd], [general] or nomail changed: restarting peerd");
    peerd_->restart();
  }
}

void PeerLink::close() {
  if (!peerd_) return;
  endRunsUnrecorded("the supervisor stops");
  endConfirmations(true, "the supervisor stops");
  uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&heartbeat_), nullptr);
  peerd_->stop();
}

void PeerLink::onChildReady(HelperChannel&) {
  pushHealth();
  pushJobList();
}

void PeerLink::onChildMessage(HelperChannel&, ipc::DecodedMessage& decoded) {
  auto message = decoded.root<ipc::FromPeerd>();
  if (message.isAnswer()) return onAnswer(message.getAnswer());
  if (message.isListening()) return onListening(message.getListening());
  if (message.isConfirmed()) return onConfirmed(message.getConfirmed());
  if (message.isRunNow()) onRunNow(message.getRunNow());
}

void PeerLink::onListening(ipc::Listening::Reader listening) {
  listeningReported_ = true;
  if (listening.getOk()) {
    CHECKER_LOG_INFO("peerd: answering peers on %s", listening.getAddress().cStr());
  } else {
    CHECKER_LOG_ERROR("peerd: cannot listen: %s", listening.getError().cStr());
  }
  sources_.listeningReported();
}

void PeerLink::onChildLost(HelperChannel&) {
  endRunsUnrecorded("peerd went away during the query");
  endConfirmations(true, "peerd went away while asking");
}

}  // namespace checker
