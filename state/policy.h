#pragma once
// The notification policy: a pure function of (previous state, this run's
// outcome, now, settings) -> (next state, what to send). No clock, no I/O, no
// globals; the supervisor persists PolicyState and hands notices to the
// outbox. Compatible with the original Checker, with its bugs fixed.
//
// Rules (every run outcome other than success is a failure):
//
// FAILURE run
//   - Not failing before (neverRun or ok): a new episode starts:
//     health=failing, consecutiveFailures=1, firstFailureUnixMs=now, the
//     other fields zero/false. Already failing: consecutiveFailures += 1
//     (saturating at UINT32_MAX) and consecutiveSuccesses = 0 (a failure
//     interrupts a recovery in progress; the episode and its count go on).
//   - Nothing is sent while consecutiveFailures < failuresBeforeNotify
//     (the original: `1 + NumFailures >= minimum`).
//   - At or past the threshold, by mode:
//       every         notify on every failing run;
//       5min / 10min / hour / day
//                     notify if nothing went out yet this episode, or
//                     now - lastNotifyUnixMs > gap, the gap being a little
//                     under the name so jitter does not skip a reminder:
//                     4m30s, 9m15s, 59m, 23h50m (see reminderGapMs). A clock
//                     that went backwards (now < lastNotifyUnixMs) counts as
//                     the gap having elapsed: one extra mail beats silence;
//       state_change  notify once per episode: the first failing run with
//                     count >= threshold and no notice yet this episode.
//   - Notifying sets notice=failure, lastNotifyUnixMs=now, notifiedFailure.
//
// SUCCESS run
//   - Not failing before: health=ok, every other field zero/false, no notice.
//   - Failing: consecutiveSuccesses += 1. Once it reaches recoverAfter the job
//     has recovered: health=ok, every other field zero/false, and
//     notice=recovery iff notifyRecovery && a failure notice went out this
//     episode. Before that the job stays failing (consecutiveFailures
//     unchanged) and nothing is sent.
//
// Bugs of the original fixed here:
//   - A notice whose send failed was recorded as sent. Here the decision only
//     says what to send; delivery (and retrying it) is the outbox's job.
//   - Recovery notices existed only for state_change; here any mode may have
//     them (NotifySettings::notifyRecovery).
//   - The `day` gap: here 23h50m, a little under a day like the other gaps,
//     so a daily run that comes a few seconds early still reminds.
//   - state_change notified on `count == N` only, so lowering the threshold
//     mid-episode (or an imported state already past it) never alerted; here
//     `count >= N` and not yet notified this episode.
//   - A single success ended an episode; here recover_after successes in a
//     row are needed (default 1, as before).
#include <cstdint>

#include "config/config.h"
#include "config/config_values.h"

namespace checker {

enum class JobHealth { neverRun, ok, failing };

struct PolicyState {
  JobHealth health = JobHealth::neverRun;
  uint32_t consecutiveFailures = 0;   // failures in the current failing episode
  uint32_t consecutiveSuccesses = 0;  // successes since the last failure while still failing
  int64_t firstFailureUnixMs = 0;     // 0 when not failing
  int64_t lastNotifyUnixMs = 0;       // 0 when no failure notice went out this episode
  bool notifiedFailure = false;       // a failure notice went out this episode
  bool operator==(const PolicyState&) const = default;
};

enum class NoticeKind { none, failure, recovery };

struct PolicyDecision {
  PolicyState next;
  NoticeKind notice = NoticeKind::none;
};

// Applies one run's outcome. Settings are read as given; a zero
// failuresBeforeNotify or recoverAfter behaves like 1 (the config loader
// rejects both, but an imported or hand-built value must not misbehave).
PolicyDecision applyPolicy(const PolicyState& previous, bool runSucceeded, int64_t nowUnixMs,
                           const NotifySettings& settings);

// The least time after a failure notice before a reminder may go out; the
// reminder needs strictly more than this. every: 0 (every failing run);
// 5min: 270000; 10min: 555000; hour: 3540000; day: 85800000;
// state_change: -1 (no reminders).
int64_t reminderGapMs(NotifyMode mode);

const char* jobHealthName(JobHealth health);   // "never_run", "ok", "failing"
const char* noticeKindName(NoticeKind kind);   // "none", "failure", "recovery"

}  // namespace checker
