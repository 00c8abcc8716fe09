#pragma once
// The notice gate: what stands between the policy (state/policy.h), which
// says a notice is due, and the outbox. A notice is held while the job is
// quiet (a maintenance window or a silence covers it), blocked (a job it
// depends on is failing: that one's notice speaks for both) or flapping
// (its state changes too often to mean anything: state/flapping.h). A job
// whose parent has not run since it began failing is held as blocked too,
// until the parent's fresh result says whether it is the cause. Jobs
// still run and record history throughout; only notices wait. Pure: no
// clock, no I/O; the supervisor gathers the facts (supervisor/notice_gate.h).
//
// Rules:
//   - A failure notice held is not counted as sent: the policy's episode
//     goes on with notifiedFailure as it was, so once nothing holds it
//     (gateRelease, at the window's end, the parent's recovery) a job still
//     failing gets one failure notice, and a job that recovered meanwhile
//     gets none (the policy sends recovery notices only after a failure
//     notice).
//   - A recovery notice due while quiet or blocked is dropped: the job is ok.
//   - A failure notice of a job with confirm_with goes out only once its
//     peers confirmed it (held as confirming while they are asked, as
//     unconfirmed when they did not); the supervisor asks them and
//     re-decides with their answer (gateRelease).
//   - Starting to flap sends one "flapping" notice (unless quiet or
//     blocked); while flapping nothing is sent; settling sends one notice of
//     the state it settled in (failure or recovery), after which the policy
//     goes on as usual.
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "state/flapping.h"
#include "state/policy.h"

namespace checker {

// What holds a job's notices now (a job's record keeps it for `checker
// status`, the page and /metrics). confirming: its peers are being asked
// whether they see it failing too (confirm_with); unconfirmed: they did
// not, so far: this vantage point only.
enum class NoticeHold { none, quiet, blocked, flapping, confirming, unconfirmed };
// "none", "quiet", "blocked", "flapping", "confirming", "unconfirmed"
const char* noticeHoldName(NoticeHold hold);

// Where a job's peer confirmation (confirm_with) stands for its failing
// episode. needed: a failure notice may not go out before the peers are
// asked; the gate holds it and asks (GateDecision::askPeers).
enum class Confirmation { notNeeded, needed, asking, confirmed, unconfirmed };

// What a job keeps between runs for the gate.
struct GateRecord {
  RecentRuns recent;
  bool flapping = false;
  bool flapNoticeSent = false;  // a flapping notice went out; one of the settled state follows
  NoticeHold hold = NoticeHold::none;
  std::string holdReason = {};  // for people: "maintenance nightly until 03:30 Europe/Berlin"
  int64_t holdSinceUnixMs = 0;
  bool operator==(const GateRecord&) const = default;
};

// What the supervisor knows of the job's surroundings now.
struct GateFacts {
  std::optional<std::string> quiet;      // why it is quiet: a window or a silence
  std::optional<std::string> blockedBy;  // the failing job it depends on, by name
  std::optional<std::string> awaiting;   // a job it depends on whose fresh result is awaited
  Confirmation confirmation = Confirmation::notNeeded;
  // asking: whom ("asking bravo, charlie"); confirmed: by whom ("failing
  // from alpha (here) and bravo"); unconfirmed: why not.
  std::string confirmationText = {};
};

enum class GateNotice { none, failure, recovery, flapping };

struct GateDecision {
  GateNotice notice = GateNotice::none;
  PolicyState policy;   // the policy's next state, a held failure notice not counted as sent
  GateRecord gate;
  std::string note;     // why a notice due was not sent, for the run's history; "" when none was
  bool askPeers = false;      // hold it while the peers are asked (Confirmation::needed)
  std::string confirmedBy;    // a failure notice the peers confirmed: who (for its text)
};

// One run through the gate: BEFORE and DECISION are the policy's state
// before the run and its decision; FAILED whether the run failed.
GateDecision gateRun(const PolicyState& before, const PolicyDecision& decision, bool failed, const GateRecord& gate,
                     const GateFacts& facts, const FlapSettings& flap, int64_t nowUnixMs);

// Between runs, when FACTS changed (a window ended, a silence was added or
// lifted, a parent recovered): the job's hold as it is now, and a failure
// notice if nothing holds it any more while the policy still owes one.
GateDecision gateRelease(const PolicyState& policy, const GateRecord& gate, const GateFacts& facts,
                         const NotifySettings& notify, int64_t nowUnixMs);

}  // namespace checker
