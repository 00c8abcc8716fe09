// The notification policy against invariants the test keeps itself, over
// random sequences of runs with random settings (fixed seeds).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>

#include "state/policy.h"
#include "support/policy_test_support.h"

namespace checker {
namespace {

using namespace policy_test;

// ---------------------------------------------------------------------------
// Property: random sequences against invariants kept by the test itself.

struct Tracker {  // what the test knows of the current episode, independently
  bool failing = false;
  uint32_t failures = 0;
  uint32_t successesInARow = 0;
  int64_t firstFailure = 0;
  int failureNotices = 0;
  int64_t lastNotice = 0;
};

struct Totals {
  int failureNotices = 0;
  int recoveryNotices = 0;
  int episodes = 0;
};

uint32_t pick(std::mt19937& rng, uint32_t lo, uint32_t hi) { return lo + rng() % (hi - lo + 1); }

// Returns what is wrong with D, empty if nothing. SETTINGS_STABLE: the
// settings have not changed during this episode.
std::string violation(const PolicyState& prev, bool success, int64_t now, const NotifySettings& s,
                      const PolicyDecision& d, const Tracker& before, bool settingsStable) {
  std::ostringstream out;
  const PolicyState& n = d.next;
  const uint32_t recoverAfter = s.recoverAfter == 0 ? 1 : s.recoverAfter;
  if (n.health == JobHealth::neverRun) out << "back to neverRun; ";
  if (n.health == JobHealth::ok && !(n == PolicyState{JobHealth::ok})) out << "ok with leftovers; ";
  if (n.health == JobHealth::failing) {
    if (n.consecutiveFailures == 0) out << "failing with no failures; ";
    if (n.consecutiveSuccesses >= recoverAfter) out << "should have recovered; ";
    if (n.notifiedFailure != (n.lastNotifyUnixMs != 0)) out << "notified flag and time disagree; ";
  }
  if (success && before.failing && before.successesInARow + 1 >= recoverAfter && n.health != JobHealth::ok)
    out << "did not recover after " << recoverAfter << " successes; ";
  if (!success && n.health != JobHealth::failing) out << "failure did not make it failing; ";
  if (!success && n.firstFailureUnixMs != (before.failing ? before.firstFailure : now))
    out << "wrong first failure time; ";
  if (d.notice == NoticeKind::failure) {
    if (success) out << "failure notice on a success; ";
    if (n.consecutiveFailures < s.failuresBeforeNotify) out << "notice before the threshold; ";
    if (settingsStable && s.mode == NotifyMode::stateChange && before.failureNotices > 0)
      out << "second state_change notice in one episode; ";
    if (settingsStable && before.failureNotices > 0 && now > before.lastNotice &&
        s.mode != NotifyMode::every && s.mode != NotifyMode::stateChange &&
        now - before.lastNotice <= reminderGapMs(s.mode))
      out << "reminder too soon; ";
  }
  if (d.notice == NoticeKind::recovery) {
    if (!success || n.health != JobHealth::ok) out << "recovery notice without recovering; ";
    if (before.failureNotices == 0 || !prev.notifiedFailure) out << "recovery without a failure notice; ";
    if (!s.notifyRecovery) out << "recovery notice while turned off; ";
  }
  if (success && before.failing && n.health == JobHealth::ok && s.notifyRecovery &&
      before.failureNotices > 0 && d.notice != NoticeKind::recovery)
    out << "missing recovery notice; ";
  if (!success && settingsStable && n.consecutiveFailures >= s.failuresBeforeNotify &&
      before.failureNotices == 0 && d.notice != NoticeKind::failure)
    out << "first notice missing at threshold; ";
  if (!success && s.mode == NotifyMode::every && n.consecutiveFailures >= s.failuresBeforeNotify &&
      d.notice != NoticeKind::failure)
    out << "every skipped a failing run; ";
  return out.str();
}

void track(Tracker& t, Totals& totals, bool success, int64_t now, const PolicyDecision& d) {
  if (!success) {
    if (!t.failing) {
      t = Tracker{true, 0, 0, now, 0, 0};
      ++totals.episodes;
    }
    ++t.failures;
    t.successesInARow = 0;
  } else if (t.failing) {
    ++t.successesInARow;
  }
  if (d.notice == NoticeKind::failure) {
    ++t.failureNotices;
    t.lastNotice = now;
    ++totals.failureNotices;
  }
  if (d.notice == NoticeKind::recovery) ++totals.recoveryNotices;
  if (d.next.health == JobHealth::ok) t = Tracker{};
}

NotifySettings randomSettings(std::mt19937& rng) {
  return NotifySettings{kAllModes[rng() % 6], pick(rng, 1, 12), rng() % 2 == 0, pick(rng, 1, 4)};
}

// Runs one random sequence; CHANGE_SETTINGS redraws the settings now and then.
void runRandomSequence(uint32_t seed, bool changeSettings, Totals& totals) {
  std::mt19937 rng(seed);
  NotifySettings s = randomSettings(rng);
  const uint32_t failPercent = pick(rng, 20, 95);
  PolicyState state;
  Tracker tracker;
  bool settingsStable = true;
  int64_t now = kT0;
  for (int step = 0; step < 3000; ++step) {
    if (changeSettings && rng() % 50 == 0) {
      s = randomSettings(rng);
      settingsStable = false;
    }
    // Mostly forward by 1 s .. 2 h; now and then a step back of up to an hour.
    if (rng() % 40 == 0) now -= pick(rng, 1, static_cast<uint32_t>(kHour));
    else now += pick(rng, 1'000, static_cast<uint32_t>(2 * kHour));
    const bool success = rng() % 100 >= failPercent;
    const PolicyDecision d = applyPolicy(state, success, now, s);
    const std::string wrong = violation(state, success, now, s, d, tracker, settingsStable);
    ASSERT_EQ(wrong, "") << "seed " << seed << " step " << step << " success=" << success
                         << " mode=" << modeId(s.mode) << " threshold=" << s.failuresBeforeNotify
                         << " recoverAfter=" << s.recoverAfter << " state="
                         << ::testing::PrintToString(state);
    track(tracker, totals, success, now, d);
    if (d.next.health == JobHealth::ok) settingsStable = true;  // a new episode starts clean
    state = d.next;
  }
}

TEST(PolicyProperty, RandomSequencesKeepTheInvariants) {
  Totals totals;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    runRandomSequence(seed, false, totals);
    if (HasFatalFailure()) return;
  }
  // The sequences did exercise what they check.
  EXPECT_GT(totals.episodes, 1000);
  EXPECT_GT(totals.failureNotices, 1000);
  EXPECT_GT(totals.recoveryNotices, 100);
}

TEST(PolicyProperty, RandomSequencesWithChangingSettingsKeepTheInvariants) {
  Totals totals;
  for (uint32_t seed = 1001; seed <= 1200; ++seed) {
    runRandomSequence(seed, true, totals);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(totals.episodes, 1000);
  EXPECT_GT(totals.failureNotices, 1000);
  EXPECT_GT(totals.recoveryNotices, 100);
}

}  // namespace
}  // namespace checker
