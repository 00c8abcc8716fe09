// The notice gate; the rules are at the top of notice_gate.h.
#include "state/notice_gate.h"

#include <cmath>
#include <utility>

namespace checker {
namespace {

struct Hold {
  NoticeHold kind = NoticeHold::none;
  std::string reason;
};

// What holds a job's notices, the strongest first: a quiet job would be
// quiet whatever its parents do, and a blocked one is not news even if it flaps.
Hold holdOf(const GateFacts& facts, bool flapping, const std::string& flapReason) {
  if (facts.quiet) return {NoticeHold::quiet, *facts.quiet};
  if (facts.blockedBy) return {NoticeHold::blocked, "blocked by " + *facts.blockedBy};
  if (facts.awaiting) return {NoticeHold::blocked, "waiting for a fresh result of " + *facts.awaiting};
  if (flapping) return {NoticeHold::flapping, flapReason};
  return {};
}

// The hold a failure notice otherwise free to go still gets from the
// job's peer confirmation: none once confirmed (or not asked for).
Hold confirmationHold(const GateFacts& facts) {
  switch (facts.confirmation) {
    case Confirmation::notNeeded:
    case Confirmation::confirmed:
      return {};
    case Confirmation::needed:
    case Confirmation::asking:
      return {NoticeHold::confirming,
              facts.confirmationText.empty() ? std::string("asking its peers") : facts.confirmationText};
    case Confirmation::unconfirmed:
      return {NoticeHold::unconfirmed, facts.confirmationText};
  }
  return {};
}

void setHold(GateRecord& gate, Hold hold, int64_t nowUnixMs) {
  if (hold.kind == NoticeHold::none) {
    gate.holdSinceUnixMs = 0;
  } else if (gate.hold != hold.kind) {
    gate.holdSinceUnixMs = nowUnixMs;
  }
  gate.hold = hold.kind;
  gate.holdReason = std::move(hold.reason);
}

// The policy counted a failure notice as sent that the gate holds: the
// episode's bookkeeping goes back to what it was before the run (a new
// episode: nothing sent yet).
void undoFailureNotice(PolicyState& next, const PolicyState& before) {
  if (before.health == JobHealth::failing) {
    next.notifiedFailure = before.notifiedFailure;
    next.lastNotifyUnixMs = before.lastNotifyUnixMs;
  } else {
    next.notifiedFailure = false;
    next.lastNotifyUnixMs = 0;
  }
}

void countFailureNoticeSent(PolicyState& policy, int64_t nowUnixMs) {
  policy.notifiedFailure = true;
  policy.lastNotifyUnixMs = nowUnixMs;
}

std::string flapReason(double percent) {
  return "flapping (" + std::to_string(static_cast<int>(std::lround(percent))) + "% state change over the last " +
         std::to_string(kFlapWindowRuns) + " runs)";
}

const char* noticeName(NoticeKind kind) { return kind == NoticeKind::failure ? "failure" : "recovery"; }

}  // namespace

const char* noticeHoldName(NoticeHold hold) {
  switch (hold) {
    case NoticeHold::none: return "none";
    case NoticeHold::quiet: return "quiet";
    case NoticeHold::blocked: return "blocked";
    case NoticeHold::flapping: return "flapping";
    case NoticeHold::confirming: return "confirming";
    case NoticeHold::unconfirmed: return "unconfirmed";
  }
  return "none";
}

namespace {
// A hold that stays the same keeps its start, however the decision got there.
GateDecision keepingHoldStart(GateDecision d, const GateRecord& previous) {
  if (d.gate.hold != NoticeHold::none && d.gate.hold == previous.hold) d.gate.holdSinceUnixMs = previous.holdSinceUnixMs;
  return d;
}

GateDecision decideRun(const PolicyState& before, const PolicyDecision& decision, bool failed, const GateRecord& gate,
                     const GateFacts& facts, const FlapSettings& flap, int64_t nowUnixMs) {
  GateDecision d;
  d.policy = decision.next;
  d.gate = gate;
  d.gate.recent = withRun(gate.recent, failed);
  const double percent = percentStateChange(d.gate.recent);
  const bool wasFlapping = gate.flapping;
  d.gate.flapping = flappingAfter(wasFlapping, percent, flap);
  Hold hold = holdOf(facts, d.gate.flapping, flapReason(percent));
  const NoticeHold kind = hold.kind;
  const std::string reason = hold.reason;
  setHold(d.gate, std::move(hold), nowUnixMs);
  const NoticeKind due = decision.notice;
  if (due == NoticeKind::failure) undoFailureNotice(d.policy, before);  // counted again below if sent
  auto heldNote = [&] {
    if (due != NoticeKind::none) d.note = std::string(noticeName(due)) + " notice not sent: " + reason;
  };

  if (d.gate.flapping) {
    if (!wasFlapping && kind == NoticeHold::flapping) {
      d.notice = GateNotice::flapping;
      d.gate.flapNoticeSent = true;
    } else {
      heldNote();
    }
    return d;
  }
  if (wasFlapping && gate.flapNoticeSent) {  // settled, and people were told it flapped
    d.gate.flapNoticeSent = false;
    if (kind != NoticeHold::none) {  // quiet or blocked: a failing job's notice waits for gateRelease
      heldNote();
      return d;
    }
    if (d.policy.health == JobHealth::failing) {
      d.notice = GateNotice::failure;
      countFailureNoticeSent(d.policy, nowUnixMs);
    } else {
      d.notice = GateNotice::recovery;
    }
    return d;
  }
  if (due == NoticeKind::none) return d;
  if (kind != NoticeHold::none) {
    heldNote();
    return d;
  }
  if (due == NoticeKind::failure) {
    Hold confirming = confirmationHold(facts);
    if (confirming.kind != NoticeHold::none) {
      d.askPeers = facts.confirmation == Confirmation::needed;
      d.note = "failure notice not sent: " + confirming.reason;
      setHold(d.gate, std::move(confirming), nowUnixMs);
      return d;
    }
    d.confirmedBy = facts.confirmation == Confirmation::confirmed ? facts.confirmationText : "";
    d.notice = GateNotice::failure;
    d.policy.notifiedFailure = decision.next.notifiedFailure;
    d.policy.lastNotifyUnixMs = decision.next.lastNotifyUnixMs;
  } else {
    d.notice = GateNotice::recovery;
  }
  return d;
}

GateDecision decideRelease(const PolicyState& policy, const GateRecord& gate, const GateFacts& facts,
                           const NotifySettings& notify, int64_t nowUnixMs) {
  GateDecision d;
  d.policy = policy;
  d.gate = gate;
  const std::string before = gate.hold == NoticeHold::none ? std::string() : gate.holdReason;
  Hold hold = holdOf(facts, gate.flapping, gate.hold == NoticeHold::flapping ? gate.holdReason : "flapping");
  const NoticeHold kind = hold.kind;
  setHold(d.gate, std::move(hold), nowUnixMs);
  const uint32_t threshold = notify.failuresBeforeNotify == 0 ? 1 : notify.failuresBeforeNotify;
  const bool owed =
      policy.health == JobHealth::failing && policy.consecutiveFailures >= threshold && !policy.notifiedFailure;
  if (kind == NoticeHold::none && owed) {
    Hold confirming = confirmationHold(facts);
    if (confirming.kind != NoticeHold::none) {
      d.askPeers = facts.confirmation == Confirmation::needed;
      setHold(d.gate, std::move(confirming), nowUnixMs);
      return d;
    }
    d.confirmedBy = facts.confirmation == Confirmation::confirmed ? facts.confirmationText : "";
    d.notice = GateNotice::failure;
    countFailureNoticeSent(d.policy, nowUnixMs);
    d.note = before.empty() ? "failure notice released" : "failure notice released (was held: " + before + ")";
  }
  return d;
}

}  // namespace

GateDecision gateRun(const PolicyState& before, const PolicyDecision& decision, bool failed, const GateRecord& gate,
                     const GateFacts& facts, const FlapSettings& flap, int64_t nowUnixMs) {
  return keepingHoldStart(decideRun(before, decision, failed, gate, facts, flap, nowUnixMs), gate);
}

GateDecision gateRelease(const PolicyState& policy, const GateRecord& gate, const GateFacts& facts,
                         const NotifySettings& notify, int64_t nowUnixMs) {
  return keepingHoldStart(decideRelease(policy, gate, facts, notify, nowUnixMs), gate);
}

}  // namespace checker
