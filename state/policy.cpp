// The notification policy; the rules are at the top of policy.h.
#include "state/policy.h"

#include <limits>

namespace checker {
namespace {

uint32_t saturatingIncrement(uint32_t n) {
  return n == std::numeric_limits<uint32_t>::max() ? n : n + 1;
}

// True when a timed reminder is due: strictly more than GAP since the last
// notice. A clock that went backwards counts as elapsed.
bool gapElapsed(int64_t lastNotifyUnixMs, int64_t nowUnixMs, int64_t gapMs) {
  if (nowUnixMs < lastNotifyUnixMs) return true;
  // now >= last, so the true difference fits in uint64_t even when the
  // signed subtraction would overflow (say, last negative and now huge).
  const uint64_t elapsed = static_cast<uint64_t>(nowUnixMs) - static_cast<uint64_t>(lastNotifyUnixMs);
  return elapsed > static_cast<uint64_t>(gapMs);
}

// Whether a failing job at state S (already counting this run) notifies now.
bool failureNoticeDue(const PolicyState& s, int64_t nowUnixMs, const NotifySettings& settings) {
  if (s.consecutiveFailures < settings.failuresBeforeNotify) return false;
  if (!s.notifiedFailure) return true;  // first notice of the episode, whatever the mode
  switch (settings.mode) {
    case NotifyMode::every:
      return true;
    case NotifyMode::stateChange:
      return false;  // once per episode
    case NotifyMode::fiveMinutes:
    case NotifyMode::tenMinutes:
    case NotifyMode::hour:
    case NotifyMode::day:
      return gapElapsed(s.lastNotifyUnixMs, nowUnixMs, reminderGapMs(settings.mode));
  }
  return true;  // a mode value we do not know: alerting beats silence
}

PolicyDecision onFailure(const PolicyState& previous, int64_t nowUnixMs,
                         const NotifySettings& settings) {
  PolicyDecision d;
  if (previous.health != JobHealth::failing) {
    d.next.health = JobHealth::failing;
    d.next.consecutiveFailures = 1;
    d.next.firstFailureUnixMs = nowUnixMs;
  } else {
    d.next = previous;
    d.next.consecutiveFailures = saturatingIncrement(previous.consecutiveFailures);
    d.next.consecutiveSuccesses = 0;
  }
  if (failureNoticeDue(d.next, nowUnixMs, settings)) {
    d.notice = NoticeKind::failure;
    d.next.lastNotifyUnixMs = nowUnixMs;
    d.next.notifiedFailure = true;
  }
  return d;
}

PolicyDecision onSuccess(const PolicyState& previous, const NotifySettings& settings) {
  PolicyDecision d;
  d.next.health = JobHealth::ok;  // the default-built state is all zero/false
  if (previous.health != JobHealth::failing) return d;

  const uint32_t successes = saturatingIncrement(previous.consecutiveSuccesses);
  if (successes < settings.recoverAfter) {  // still failing, recovery in progress
    d.next = previous;
    d.next.consecutiveSuccesses = successes;
    return d;
  }
  if (settings.notifyRecovery && previous.notifiedFailure) d.notice = NoticeKind::recovery;
  return d;
}

}  // namespace

PolicyDecision applyPolicy(const PolicyState& previous, bool runSucceeded, int64_t nowUnixMs,
                           const NotifySettings& settings) {
  return runSucceeded ? onSuccess(previous, settings) : onFailure(previous, nowUnixMs, settings);
}

int64_t reminderGapMs(NotifyMode mode) {
  switch (mode) {
    case NotifyMode::every:
      return 0;
    case NotifyMode::fiveMinutes:
      return 4 * 60'000 + 30'000;  // 4m30s
    case NotifyMode::tenMinutes:
      return 9 * 60'000 + 15'000;  // 9m15s
    case NotifyMode::hour:
      return 59 * 60'000;  // 59m
    case NotifyMode::day:
      return 23 * 3'600'000 + 50 * 60'000;  // 23h50m
    case NotifyMode::stateChange:
      return -1;  // no reminders
  }
  return -1;
}

const char* jobHealthName(JobHealth health) {
  switch (health) {
    case JobHealth::neverRun:
      return "never_run";
    case JobHealth::ok:
      return "ok";
    case JobHealth::failing:
      return "failing";
  }
  return "unknown";
}

const char* noticeKindName(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::none:
      return "none";
    case NoticeKind::failure:
      return "failure";
    case NoticeKind::recovery:
      return "recovery";
  }
  return "unknown";
}

}  // namespace checker
