// The facts the notice gate decides on, and re-deciding when they change.
#include "supervisor/notice_gate.h"

#include <algorithm>
#include <limits>

#include "common/log.h"
#include "supervisor/peer_confirmation.h"

namespace checker {
namespace {

// How long past a parent's timeout a child waits for that parent's result.
constexpr int64_t kParentAnswerMarginMs = 10'000;
// A failure the peers did not confirm is asked about again after this.
constexpr int64_t kAskPeersAgainMs = 60'000;

}  // namespace

NoticeGate::NoticeGate(uv_loop_t* loop, Clock& clock, RunEngine& engine, Alerting& alerting)
    : loop_(loop), clock_(clock), engine_(engine), alerting_(alerting) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

NoticeGate::~NoticeGate() { close(); }

void NoticeGate::close() {
  if (closed_) return;
  closed_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void NoticeGate::jobsChanged() {
  jobsOfSection_.clear();
  dependants_.clear();
  engine_.forEachLiveJob([&](const JobDefinition& job) {
    if (!job.section().empty()) jobsOfSection_[job.section()].push_back(job.id());
    for (const std::string& parent : job.settings().dependsOn) dependants_[parent].push_back(job.id());
  });
  reevaluateAll();
}

GateFacts NoticeGate::gather(const JobDefinition& job, const JobRecord& record, bool failing, int64_t nowUnixMs,
                             bool ownRun) {
  GateFacts facts;
  if (sources_.quietOf) facts.quiet = sources_.quietOf(job, nowUnixMs);
  if (ownRun) ownResultWanted_.erase(job.id());
  if (record.policy.health != JobHealth::failing) waitedOut_.erase(job.id());  // a new episode, if any
  // The child's failure began at firstFailureUnixMs, or begins with this run.
  const int64_t failingSince =
      record.policy.health == JobHealth::failing ? record.policy.firstFailureUnixMs : nowUnixMs;
  for (const std::string& section : job.settings().dependsOn) {
    auto jobs = jobsOfSection_.find(section);
    if (jobs == jobsOfSection_.end()) continue;
    for (const std::string& parentId : jobs->second) {
      RunEngine::LiveJob parent = engine_.liveJob(parentId);
      if (parent.record == nullptr) continue;
      if (parent.record->policy.health == JobHealth::failing) {
        facts.blockedBy = parent.def->name();
        facts.awaiting.reset();
        awaiting_.erase(job.id());
        return facts;
      }
      // The parent's newest result predates the child's failure: wait for a fresh one.
      if (failing && !facts.awaiting && parent.record->lastStartedUnixMs < failingSince &&
          waitedOut_.count(job.id()) == 0) {
        auto [wait, fresh] = awaiting_.try_emplace(
            job.id(), nowUnixMs + parent.def->limits().timeout.count() + kParentAnswerMarginMs);
        if (nowUnixMs >= wait->second) continue;  // onTimer marks it waited out
        facts.awaiting = parent.def->name();
        if (fresh && sources_.runSoon && asked_.try_emplace(parentId, nowUnixMs).second) {
          CHECKER_LOG_INFO("job %s: failing; asking %s, which it depends on, for a fresh result", job.name().c_str(),
                           parent.def->name().c_str());
          sources_.runSoon(parentId, "for a job that depends on it and is failing");
        }
      }
    }
  }
  if (!facts.awaiting) awaiting_.erase(job.id());
  auto own = ownResultWanted_.find(job.id());
  if (!facts.awaiting && own != ownResultWanted_.end() && nowUnixMs < own->second) facts.awaiting = job.name();
  if (!job.confirm().peers.empty()) {
    if (record.policy.health != JobHealth::failing) peerAsks_.erase(job.id());  // a new episode, if any
    auto ask = peerAsks_.find(job.id());
    if (ask == peerAsks_.end() ||
        (ask->second.phase == Confirmation::unconfirmed && nowUnixMs - ask->second.decidedUnixMs >= kAskPeersAgainMs)) {
      facts.confirmation = Confirmation::needed;
    } else {
      facts.confirmation = ask->second.phase;
      facts.confirmationText = ask->second.text;
    }
  }
  return facts;
}

void NoticeGate::askPeers(const JobDefinition& job, const JobRecord& record) {
  if (!sources_.confirm) return;
  std::string peers;
  for (const std::string& peer : job.confirm().peers) peers += (peers.empty() ? "" : ", ") + peer;
  peerAsks_[job.id()] = PeerAsk{Confirmation::asking, "asking " + peers + " whether they see it failing", 0};
  CHECKER_LOG_INFO("job %s: failing; its notice waits while %s %s asked whether they see it failing too",
                   job.name().c_str(), peers.c_str(), job.confirm().peers.size() == 1 ? "is" : "are");
  std::string jobId = job.id();
  sources_.confirm(jobId, job.confirm().peers, record.policy.firstFailureUnixMs,
                   [this, jobId](std::vector<PeerView> views) { onPeersAnswered(jobId, views); });
}

void NoticeGate::onPeersAnswered(const std::string& jobId, const std::vector<PeerView>& views) {
  if (closed_) return;
  auto ask = peerAsks_.find(jobId);
  RunEngine::LiveJob job = engine_.liveJob(jobId);
  if (ask == peerAsks_.end() || ask->second.phase != Confirmation::asking || job.def == nullptr) return;
  int64_t now = clock_.wallMs();
  ConfirmationOutcome outcome =
      decideConfirmation(sources_.selfName ? sources_.selfName() : std::string("this instance"), views,
                         job.def->confirm());
  ask->second = PeerAsk{outcome.confirmed ? Confirmation::confirmed : Confirmation::unconfirmed, outcome.text, now};
  CHECKER_LOG_INFO("job %s: %s", job.def->name().c_str(),
                   (outcome.confirmed ? "failure confirmed: " + outcome.text : outcome.text).c_str());
  reevaluate(*job.def, *job.record, now);
  checkVantagePoint();
}

void NoticeGate::checkVantagePoint() {
  size_t withPeers = 0;
  std::vector<std::string> onlyHere;
  engine_.forEachLiveJob([&](const JobDefinition& job) {
    if (job.confirm().peers.empty()) return;
    ++withPeers;
    auto ask = peerAsks_.find(job.id());
    if (ask != peerAsks_.end() && ask->second.phase == Confirmation::unconfirmed) onlyHere.push_back(job.name());
  });
  const bool most = withPeers > 0 && onlyHere.size() * 2 > withPeers;
  if (!most) {
    toldOwnAdmin_ = false;
    return;
  }
  if (toldOwnAdmin_ || !sources_.tellOwnAdmin) return;
  toldOwnAdmin_ = true;
  std::string list;
  for (size_t i = 0; i < onlyHere.size() && i < 20; ++i) list += "  " + onlyHere[i] + "\n";
  if (onlyHere.size() > 20) list += "  ... and " + std::to_string(onlyHere.size() - 20) + " more\n";
  std::string subject = std::to_string(onlyHere.size()) + " of " + std::to_string(withPeers) +
                        " confirmed jobs fail from here only: this instance's own network is the likely fault";
  CHECKER_LOG_WARN("%s", subject.c_str());
  sources_.tellOwnAdmin(subject, "These jobs fail from this instance, while the peers asked (confirm_with) see them "
                                 "ok:\n" + list +
                                 "\nNobody else was told about them. Look at this host's own network, routes and "
                                 "DNS first. This notice is sent once until most of them agree with the peers again.\n");
}

void NoticeGate::reevaluate(const JobDefinition& job, JobRecord& record, int64_t nowUnixMs) {
  const bool failing = record.policy.health == JobHealth::failing;
  GateFacts facts = gather(job, record, failing, nowUnixMs, /*ownRun=*/false);
  // Blocked until now, and nothing blocks it any more: its parent is ok.
  // Whether it is still failing itself is for its own fresh result to say.
  if (record.gate.hold == NoticeHold::blocked && failing && !facts.quiet && !facts.blockedBy && !facts.awaiting &&
      waitedOut_.count(job.id()) == 0) {
    ownResultWanted_[job.id()] = nowUnixMs + job.limits().timeout.count() + kParentAnswerMarginMs;
    facts.awaiting = job.name();
    if (sources_.runSoon) sources_.runSoon(job.id(), "for a fresh result now that what it depends on is ok");
  }
  alerting_.release(job, record, facts);
}

void NoticeGate::reevaluateAll() {
  int64_t now = clock_.wallMs();
  engine_.updateLiveRecords([&](const JobDefinition& job, JobRecord& record) { reevaluate(job, record, now); });
  armTimer();
}

void NoticeGate::recorded(const JobDefinition& job) {
  asked_.erase(job.id());
  auto children = dependants_.find(job.section());
  if (children == dependants_.end()) return;
  int64_t now = clock_.wallMs();
  for (const std::string& childId : children->second) {
    RunEngine::LiveJob child = engine_.liveJob(childId);
    if (child.record == nullptr) continue;
    // Only children the gate may hold or free: failing, or held now.
    if (child.record->policy.health != JobHealth::failing && child.record->gate.hold == NoticeHold::none) continue;
    reevaluate(*child.def, *child.record, now);
  }
  armTimer();
}

void NoticeGate::armTimer() {
  if (closed_) return;
  int64_t now = clock_.wallMs();
  int64_t next = sources_.nextQuietChange ? sources_.nextQuietChange(now) : std::numeric_limits<int64_t>::max();
  for (const auto& [child, until] : awaiting_) next = std::min(next, until);
  for (const auto& [child, until] : ownResultWanted_) next = std::min(next, until);
  uv_timer_stop(&timer_);
  if (next == std::numeric_limits<int64_t>::max()) return;
  // A little after the change, so it has happened; at most a minute at a
  // time, so a wall clock that steps cannot make a window's end wait long.
  uint64_t delay = next <= now ? 0 : static_cast<uint64_t>(std::min<int64_t>(next - now + 5, 60'000));
  uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<NoticeGate*>(t->data)->onTimer(); }, delay, 0);
}

void NoticeGate::onTimer() {
  int64_t now = clock_.wallMs();
  // Waits that ended unanswered: the child is not held for a result again
  // this episode (waitedOut_), and reevaluateAll below decides it.
  auto endWaits = [&](std::unordered_map<std::string, int64_t>& waits, const char* what) {
    for (auto it = waits.begin(); it != waits.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      RunEngine::LiveJob child = engine_.liveJob(it->first);
      if (child.def != nullptr) {
        CHECKER_LOG_WARN("job %s: no fresh result %s in time; its notice is no longer held for it",
                         child.def->name().c_str(), what);
      }
      waitedOut_.insert(it->first);
      it = waits.erase(it);
    }
  };
  endWaits(awaiting_, "from the job it depends on");
  endWaits(ownResultWanted_, "of its own");
  reevaluateAll();
}

}  // namespace checker
