// The notification policy (state/policy.h): which runs send a failure or
// recovery notice, for every mode and threshold, at realistic run spacing;
// the boundary of each reminder gap; recovery; clocks going backwards;
// saturation (random sequences: policy_property_test.cpp). No sleeps and no
// real clock: time is a number the test hands in.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "state/policy.h"
#include "support/policy_test_support.h"

namespace checker {
namespace {

using namespace policy_test;

// The gaps, written as "the name minus a little slack" rather than copied from
// the implementation: a reminder needs strictly more than this.
int64_t expectedGap(NotifyMode mode) {
  switch (mode) {
    case NotifyMode::fiveMinutes: return 5 * kMinute - 30 * kSecond;
    case NotifyMode::tenMinutes: return 10 * kMinute - 45 * kSecond;
    case NotifyMode::hour: return 1 * kHour - 1 * kMinute;
    case NotifyMode::day: return 1 * kDay - 10 * kMinute;
    case NotifyMode::every:
    case NotifyMode::stateChange: break;
  }
  ADD_FAILURE() << "no gap for " << modeId(mode);
  return 0;
}

// A failing state as it stands after a notice at LAST, COUNT failures in.
PolicyState notifiedAt(int64_t last, uint32_t count = 5) {
  return PolicyState{JobHealth::failing, count, 0, last - kHour, last, true};
}

std::vector<int64_t> cadence(int64_t stepMs, int runs) {
  std::vector<int64_t> times;
  for (int i = 0; i < runs; ++i) times.push_back(kT0 + i * stepMs);
  return times;
}

// One run per minute, each up to 2 s early or late (fixed seed).
std::vector<int64_t> jitteredMinutes(int runs, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int64_t> times;
  for (int i = 0; i < runs; ++i) {
    const int64_t jitter = static_cast<int64_t>(rng() % 4001) - 2'000;
    times.push_back(kT0 + i * kMinute + jitter);
  }
  return times;
}

// Drives failures at TIMES from a never-run job; returns the 1-based runs that
// sent a failure notice. Any other notice is a test failure.
std::vector<int> failureNoticeRuns(const NotifySettings& settings,
                                   const std::vector<int64_t>& times) {
  std::vector<int> runs;
  PolicyState state;
  for (size_t i = 0; i < times.size(); ++i) {
    const PolicyDecision d = applyPolicy(state, false, times[i], settings);
    EXPECT_NE(d.notice, NoticeKind::recovery) << "run " << i + 1;
    if (d.notice == NoticeKind::failure) runs.push_back(static_cast<int>(i + 1));
    state = d.next;
  }
  return runs;
}

// Reference model, written from the rules independently of policy.cpp: the
// run number is the failure count (the episode starts at run 1); keep the
// time of the last notice aside.
std::vector<int> referenceNoticeRuns(NotifyMode mode, uint32_t threshold,
                                     const std::vector<int64_t>& times) {
  std::vector<int> runs;
  std::optional<int64_t> lastSent;
  for (size_t i = 0; i < times.size(); ++i) {
    const int run = static_cast<int>(i + 1);
    if (run < static_cast<int>(threshold)) continue;
    bool send = false;
    if (mode == NotifyMode::every) {
      send = true;
    } else if (mode == NotifyMode::stateChange) {
      send = run == static_cast<int>(threshold);
    } else {
      send = !lastSent || times[i] >= *lastSent + expectedGap(mode) + 1;
    }
    if (send) {
      runs.push_back(run);
      lastSent = times[i];
    }
  }
  return runs;
}

std::vector<int> range(int first, int last, int step = 1) {
  std::vector<int> v;
  for (int i = first; i <= last; i += step) v.push_back(i);
  return v;
}

// ---------------------------------------------------------------------------
// The gaps themselves.

TEST(PolicyGaps, ReminderGapsAreALittleUnderTheirNames) {
  EXPECT_EQ(reminderGapMs(NotifyMode::every), 0);
  EXPECT_EQ(reminderGapMs(NotifyMode::fiveMinutes), 270'000);
  EXPECT_EQ(reminderGapMs(NotifyMode::tenMinutes), 555'000);
  EXPECT_EQ(reminderGapMs(NotifyMode::hour), 3'540'000);
  EXPECT_EQ(reminderGapMs(NotifyMode::day), 85'800'000);
  EXPECT_EQ(reminderGapMs(NotifyMode::stateChange), -1);
  for (NotifyMode mode : kTimedModes) EXPECT_EQ(reminderGapMs(mode), expectedGap(mode));
}

TEST(PolicyGaps, ExactlyTheGapAfterANoticeIsTooSoonOneMsMoreIsAReminder) {
  const int64_t last = kT0;
  for (NotifyMode mode : kTimedModes) {
    SCOPED_TRACE(modeId(mode));
    const NotifySettings s = settingsFor(mode, 1);
    const int64_t gap = expectedGap(mode);
    EXPECT_EQ(applyPolicy(notifiedAt(last), false, last, s).notice, NoticeKind::none);
    EXPECT_EQ(applyPolicy(notifiedAt(last), false, last + gap - 1, s).notice, NoticeKind::none);
    const PolicyDecision atGap = applyPolicy(notifiedAt(last), false, last + gap, s);
    EXPECT_EQ(atGap.notice, NoticeKind::none);
    EXPECT_EQ(atGap.next.lastNotifyUnixMs, last);  // unchanged when nothing is sent
    const PolicyDecision past = applyPolicy(notifiedAt(last), false, last + gap + 1, s);
    EXPECT_EQ(past.notice, NoticeKind::failure);
    EXPECT_EQ(past.next.lastNotifyUnixMs, last + gap + 1);
    EXPECT_TRUE(past.next.notifiedFailure);
    EXPECT_EQ(past.next.consecutiveFailures, 6u);
    EXPECT_EQ(past.next.firstFailureUnixMs, last - kHour);
  }
}

TEST(PolicyGaps, EveryNotifiesEvenInTheSameMillisecond) {
  const PolicyDecision d = applyPolicy(notifiedAt(kT0), false, kT0, settingsFor(NotifyMode::every, 1));
  EXPECT_EQ(d.notice, NoticeKind::failure);
}

TEST(PolicyGaps, StateChangeNeverRemindsHoweverLongItFails) {
  const NotifySettings s = settingsFor(NotifyMode::stateChange, 1);
  for (int64_t later : {int64_t{0}, kHour, kDay, 365 * kDay}) {
    EXPECT_EQ(applyPolicy(notifiedAt(kT0), false, kT0 + later, s).notice, NoticeKind::none);
  }
}

// ---------------------------------------------------------------------------
// Schedules written out by hand.

TEST(PolicySchedule, HourAfterTwoFailuresWithMinuteRuns) {
  // Run 2 is at 1 min; 60 min later is > 59 min, 59 min later is not.
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::hour, 2), cadence(kMinute, 180)),
            (std::vector<int>{2, 62, 122}));
}

TEST(PolicySchedule, TenMinutesAfterTwoFailuresWithMinuteRuns) {
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::tenMinutes, 2), cadence(kMinute, 180)),
            (std::vector<int>{2, 12, 22, 32, 42, 52, 62, 72, 82, 92, 102, 112, 122, 132, 142,
                              152, 162, 172}));
}

TEST(PolicySchedule, FiveMinutesWithTenSecondRuns) {
  // 4m30s is 27 runs of 10 s; strictly more needs 28 (4m40s).
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::fiveMinutes, 1), cadence(10 * kSecond, 120)),
            (std::vector<int>{1, 29, 57, 85, 113}));
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::fiveMinutes, 5), cadence(10 * kSecond, 120)),
            (std::vector<int>{5, 33, 61, 89, 117}));
}

TEST(PolicySchedule, TenMinutesWithTenSecondRuns) {
  // 9m15s is 55.5 runs of 10 s; strictly more needs 56 (9m20s).
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::tenMinutes, 1), cadence(10 * kSecond, 120)),
            (std::vector<int>{1, 57, 113}));
}

TEST(PolicySchedule, DayWithHourlyRunsAndWithMinuteRuns) {
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::day, 1), cadence(kHour, 72)),
            (std::vector<int>{1, 25, 49}));
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::day, 10), cadence(kMinute, 180)),
            (std::vector<int>{10}));
  // 23h50m is 1430 minutes; strictly more is the 1431st minute after.
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::day, 1), cadence(kMinute, 3000)),
            (std::vector<int>{1, 1432, 2863}));
}

TEST(PolicySchedule, EveryAndStateChange) {
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::every, 5), cadence(kMinute, 8)),
            (std::vector<int>{5, 6, 7, 8}));
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::every, 10), cadence(10 * kSecond, 120)),
            range(10, 120));
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::stateChange, 3), cadence(kMinute, 180)),
            (std::vector<int>{3}));
  EXPECT_EQ(failureNoticeRuns(settingsFor(NotifyMode::stateChange, 10), cadence(kMinute, 9)),
            (std::vector<int>{}));
}

TEST(PolicySchedule, JitteredRunsNeverMakeAReminderLateByARun) {
  // The gaps are a little under their names so that a run a second or two
  // early still counts: with minute runs, a reminder comes after at most as
  // many minutes as the mode's name.
  const std::vector<int64_t> times = jitteredMinutes(180, 7);
  const std::tuple<NotifyMode, int> limits[] = {{NotifyMode::fiveMinutes, 5},
                                                {NotifyMode::tenMinutes, 10},
                                                {NotifyMode::hour, 60}};
  for (const auto& [mode, maxRuns] : limits) {
    SCOPED_TRACE(modeId(mode));
    const std::vector<int> runs = failureNoticeRuns(settingsFor(mode, 1), times);
    ASSERT_GE(runs.size(), 3u);
    for (size_t i = 1; i < runs.size(); ++i) {
      EXPECT_LE(runs[i] - runs[i - 1], maxRuns) << "between runs " << runs[i - 1] << " and " << runs[i];
      EXPECT_GE(runs[i] - runs[i - 1], maxRuns - 1);
    }
  }
}

// ---------------------------------------------------------------------------
// Every mode x threshold x cadence against the reference model.

class PolicyAllModes : public ::testing::TestWithParam<std::tuple<NotifyMode, uint32_t>> {};

TEST_P(PolicyAllModes, FailureNoticesMatchTheReferenceModel) {
  const auto [mode, threshold] = GetParam();
  const NotifySettings s = settingsFor(mode, threshold);
  const std::vector<std::pair<const char*, std::vector<int64_t>>> cadences = {
      {"one run per minute for 3 hours", cadence(kMinute, 180)},
      {"one run per 10 s for 20 minutes", cadence(10 * kSecond, 120)},
      {"one run per hour for 3 days", cadence(kHour, 72)},
      {"one run per minute, jittered, for 3 hours", jitteredMinutes(180, 11)},
      {"one run per 7 minutes for 2 days", cadence(7 * kMinute, 412)},
  };
  for (const auto& [what, times] : cadences) {
    SCOPED_TRACE(what);
    const std::vector<int> expected = referenceNoticeRuns(mode, threshold, times);
    ASSERT_FALSE(expected.empty());  // every cadence reaches every threshold
    EXPECT_EQ(expected.front(), static_cast<int>(threshold));
    EXPECT_EQ(failureNoticeRuns(s, times), expected);
  }
}

TEST_P(PolicyAllModes, NothingBeforeTheThresholdThenTheFirstNoticeAtIt) {
  const auto [mode, threshold] = GetParam();
  const NotifySettings s = settingsFor(mode, threshold);
  PolicyState state;
  for (uint32_t run = 1; run <= threshold; ++run) {
    const PolicyDecision d = applyPolicy(state, false, kT0 + run * kMinute, s);
    EXPECT_EQ(d.next.consecutiveFailures, run);
    EXPECT_EQ(d.next.firstFailureUnixMs, kT0 + kMinute);
    EXPECT_EQ(d.notice, run == threshold ? NoticeKind::failure : NoticeKind::none) << "run " << run;
    EXPECT_EQ(d.next.notifiedFailure, run == threshold);
    state = d.next;
  }
}

TEST_P(PolicyAllModes, RecoveryNoticeOnlyIfAFailureNoticeWentOut) {
  const auto [mode, threshold] = GetParam();
  for (bool notifyRecovery : {true, false}) {
    for (uint32_t failures = 1; failures <= threshold + 2; ++failures) {
      SCOPED_TRACE("notifyRecovery=" + std::to_string(notifyRecovery) +
                   " failures=" + std::to_string(failures));
      const NotifySettings s = settingsFor(mode, threshold, notifyRecovery);
      PolicyState state;
      for (uint32_t i = 0; i < failures; ++i) state = applyPolicy(state, false, kT0 + i * kMinute, s).next;
      ASSERT_EQ(state.notifiedFailure, failures >= threshold);
      const PolicyDecision d = applyPolicy(state, true, kT0 + kHour, s);
      EXPECT_EQ(d.notice, notifyRecovery && failures >= threshold ? NoticeKind::recovery
                                                                   : NoticeKind::none);
      EXPECT_EQ(d.next, PolicyState{JobHealth::ok});
    }
  }
}

TEST_P(PolicyAllModes, ANewEpisodeAfterRecoveryStartsAfresh) {
  const auto [mode, threshold] = GetParam();
  const NotifySettings s = settingsFor(mode, threshold);
  PolicyState state;
  int64_t now = kT0;
  for (int episode = 0; episode < 3; ++episode) {
    SCOPED_TRACE("episode " + std::to_string(episode));
    const int64_t first = now;
    std::vector<int> runs;
    for (uint32_t i = 1; i <= threshold; ++i, now += kSecond) {
      const PolicyDecision d = applyPolicy(state, false, now, s);
      if (d.notice == NoticeKind::failure) runs.push_back(static_cast<int>(i));
      state = d.next;
    }
    EXPECT_EQ(state.firstFailureUnixMs, first);
    EXPECT_EQ(runs, (std::vector<int>{static_cast<int>(threshold)}));  // no gap carried over
    const PolicyDecision d = applyPolicy(state, true, now, s);
    EXPECT_EQ(d.notice, NoticeKind::recovery);
    state = d.next;
    now += kSecond;
  }
}

INSTANTIATE_TEST_SUITE_P(
    ModesAndThresholds, PolicyAllModes,
    ::testing::Combine(::testing::ValuesIn(kAllModes), ::testing::Values(1u, 2u, 5u, 10u, 3u)),
    [](const ::testing::TestParamInfo<std::tuple<NotifyMode, uint32_t>>& param) {
      return modeId(std::get<0>(param.param)) + "After" + std::to_string(std::get<1>(param.param));
    });

// ---------------------------------------------------------------------------
// state_change.

TEST(PolicyStateChange, OneNoticeAtTheNthFailureNoneAfterThenRecovery) {
  const NotifySettings s = settingsFor(NotifyMode::stateChange, 5);  // notifyRecovery on
  PolicyState state;
  for (int run = 1; run <= 500; ++run) {
    const PolicyDecision d = applyPolicy(state, false, kT0 + run * kHour, s);
    EXPECT_EQ(d.notice, run == 5 ? NoticeKind::failure : NoticeKind::none) << "run " << run;
    state = d.next;
  }
  EXPECT_EQ(state.lastNotifyUnixMs, kT0 + 5 * kHour);
  const PolicyDecision d = applyPolicy(state, true, kT0 + 501 * kHour, s);
  EXPECT_EQ(d.notice, NoticeKind::recovery);
  EXPECT_EQ(d.next, PolicyState{JobHealth::ok});
}

TEST(PolicyStateChange, NoRecoveryNoticeWhenTurnedOff) {
  const NotifySettings s = settingsFor(NotifyMode::stateChange, 2, false);
  PolicyState state;
  state = applyPolicy(state, false, kT0, s).next;
  ASSERT_EQ(applyPolicy(state, false, kT0 + kMinute, s).notice, NoticeKind::failure);
  state = applyPolicy(state, false, kT0 + kMinute, s).next;
  const PolicyDecision d = applyPolicy(state, true, kT0 + 2 * kMinute, s);
  EXPECT_EQ(d.notice, NoticeKind::none);
  EXPECT_EQ(d.next, PolicyState{JobHealth::ok});
}

TEST(PolicyStateChange, ThresholdLoweredMidEpisodeNotifiesOnce) {
  // Three failures counted under a threshold of 5 (nothing sent); the config
  // now says 2. The original's `== N` would never fire again.
  const PolicyState previous{JobHealth::failing, 3, 0, kT0, 0, false};
  const NotifySettings s = settingsFor(NotifyMode::stateChange, 2);
  PolicyDecision d = applyPolicy(previous, false, kT0 + 3 * kMinute, s);
  EXPECT_EQ(d.notice, NoticeKind::failure);
  EXPECT_EQ(d.next, (PolicyState{JobHealth::failing, 4, 0, kT0, kT0 + 3 * kMinute, true}));
  for (int i = 4; i < 100; ++i) {
    d = applyPolicy(d.next, false, kT0 + i * kMinute, s);
    EXPECT_EQ(d.notice, NoticeKind::none) << "run " << i;
  }
}

TEST(PolicyStateChange, ThresholdRaisedMidEpisodeNeitherRepeatsNorSkips) {
  const NotifySettings raised = settingsFor(NotifyMode::stateChange, 10);
  // Already notified under the old threshold: nothing more this episode.
  const PolicyState notified{JobHealth::failing, 3, 0, kT0, kT0 + kMinute, true};
  EXPECT_EQ(applyPolicy(notified, false, kT0 + kHour, raised).notice, NoticeKind::none);
  // Not yet notified: waits for the new threshold.
  PolicyState state{JobHealth::failing, 3, 0, kT0, 0, false};
  std::vector<uint32_t> noticeAt;
  for (int i = 0; i < 20; ++i) {
    const PolicyDecision d = applyPolicy(state, false, kT0 + i * kMinute, raised);
    if (d.notice == NoticeKind::failure) noticeAt.push_back(d.next.consecutiveFailures);
    state = d.next;
  }
  EXPECT_EQ(noticeAt, (std::vector<uint32_t>{10}));
}

// ---------------------------------------------------------------------------
// Recovery after recover_after successes.

TEST(PolicyRecovery, RecoverAfterThreeNeedsThreeSuccessesInARow) {
  const NotifySettings s = settingsFor(NotifyMode::stateChange, 1, true, 3);
  const int64_t t = kT0;
  struct Step {
    bool success;
    NoticeKind notice;
    PolicyState after;
  };
  const Step steps[] = {
      {false, NoticeKind::failure, {JobHealth::failing, 1, 0, t, t, true}},
      {true, NoticeKind::none, {JobHealth::failing, 1, 1, t, t, true}},
      {true, NoticeKind::none, {JobHealth::failing, 1, 2, t, t, true}},
      {false, NoticeKind::none, {JobHealth::failing, 2, 0, t, t, true}},  // resets the successes
      {true, NoticeKind::none, {JobHealth::failing, 2, 1, t, t, true}},
      {true, NoticeKind::none, {JobHealth::failing, 2, 2, t, t, true}},
      {true, NoticeKind::recovery, {JobHealth::ok}},
      {true, NoticeKind::none, {JobHealth::ok}},
  };
  PolicyState state;
  int i = 0;
  for (const Step& step : steps) {
    SCOPED_TRACE("step " + std::to_string(i));
    const PolicyDecision d = applyPolicy(state, step.success, t + i * kMinute, s);
    EXPECT_EQ(d.notice, step.notice);
    EXPECT_EQ(d.next, step.after);
    state = d.next;
    ++i;
  }
}

TEST(PolicyRecovery, SuccessesInProgressDoNotStopTimedReminders) {
  // hour mode, recover_after 2: fail, succeed, fail an hour later: a reminder
  // goes out; the episode and its first-failure time go on.
  const NotifySettings s = settingsFor(NotifyMode::hour, 1, true, 2);
  PolicyDecision d = applyPolicy(PolicyState{}, false, kT0, s);
  ASSERT_EQ(d.notice, NoticeKind::failure);
  d = applyPolicy(d.next, true, kT0 + 30 * kMinute, s);
  EXPECT_EQ(d.notice, NoticeKind::none);
  EXPECT_EQ(d.next.health, JobHealth::failing);
  d = applyPolicy(d.next, false, kT0 + kHour, s);
  EXPECT_EQ(d.notice, NoticeKind::failure);
  EXPECT_EQ(d.next, (PolicyState{JobHealth::failing, 2, 0, kT0, kT0 + kHour, true}));
}

TEST(PolicyRecovery, ZeroSettingsBehaveLikeOne) {
  const NotifySettings zero{NotifyMode::stateChange, 0, true, 0};
  const PolicyDecision failed = applyPolicy(PolicyState{}, false, kT0, zero);
  EXPECT_EQ(failed.notice, NoticeKind::failure);
  const PolicyDecision recovered = applyPolicy(failed.next, true, kT0 + 1, zero);
  EXPECT_EQ(recovered.notice, NoticeKind::recovery);
  EXPECT_EQ(recovered.next, PolicyState{JobHealth::ok});
}

// ---------------------------------------------------------------------------
// First runs and stale states.

TEST(PolicyStart, DefaultStateIsNeverRunAndZero) {
  const PolicyState s;
  EXPECT_EQ(s.health, JobHealth::neverRun);
  EXPECT_EQ(s, (PolicyState{JobHealth::neverRun, 0, 0, 0, 0, false}));
}

TEST(PolicyStart, NeverRunThenSuccessIsOk) {
  for (NotifyMode mode : kAllModes) {
    const PolicyDecision d = applyPolicy(PolicyState{}, true, kT0, settingsFor(mode, 1));
    EXPECT_EQ(d.notice, NoticeKind::none);
    EXPECT_EQ(d.next, PolicyState{JobHealth::ok});
  }
}

TEST(PolicyStart, NeverRunOrOkThenFailureStartsAnEpisode) {
  for (JobHealth before : {JobHealth::neverRun, JobHealth::ok}) {
    const PolicyState previous{before};
    const PolicyDecision quiet = applyPolicy(previous, false, kT0, settingsFor(NotifyMode::hour, 2));
    EXPECT_EQ(quiet.notice, NoticeKind::none);
    EXPECT_EQ(quiet.next, (PolicyState{JobHealth::failing, 1, 0, kT0, 0, false}));
    const PolicyDecision loud = applyPolicy(previous, false, kT0, settingsFor(NotifyMode::hour, 1));
    EXPECT_EQ(loud.notice, NoticeKind::failure);
    EXPECT_EQ(loud.next, (PolicyState{JobHealth::failing, 1, 0, kT0, kT0, true}));
  }
}

TEST(PolicyStart, StaleFieldsOfAHealthyStateAreDropped) {
  // An imported state that says ok but carries leftovers: a success cleans it,
  // a failure starts a fresh episode (leftover notice time does not suppress).
  const PolicyState stale{JobHealth::ok, 7, 2, kT0 - kDay, kT0 - 1, true};
  const NotifySettings s = settingsFor(NotifyMode::day, 1);
  EXPECT_EQ(applyPolicy(stale, true, kT0, s).next, PolicyState{JobHealth::ok});
  EXPECT_EQ(applyPolicy(stale, true, kT0, s).notice, NoticeKind::none);
  const PolicyDecision d = applyPolicy(stale, false, kT0, s);
  EXPECT_EQ(d.notice, NoticeKind::failure);
  EXPECT_EQ(d.next, (PolicyState{JobHealth::failing, 1, 0, kT0, kT0, true}));
}

// ---------------------------------------------------------------------------
// Clocks and counters at their limits.

TEST(PolicyClock, BackwardsClockCountsAsTheGapElapsedThenMeasuresFromThere) {
  for (NotifyMode mode : kTimedModes) {
    SCOPED_TRACE(modeId(mode));
    const NotifySettings s = settingsFor(mode, 1);
    const int64_t back = kT0 - 1;
    PolicyDecision d = applyPolicy(notifiedAt(kT0), false, back, s);
    EXPECT_EQ(d.notice, NoticeKind::failure);
    EXPECT_EQ(d.next.lastNotifyUnixMs, back);
    EXPECT_EQ(d.next.firstFailureUnixMs, kT0 - kHour);  // the episode goes on
    const PolicyState afterBack = d.next;
    EXPECT_EQ(applyPolicy(afterBack, false, back + expectedGap(mode), s).notice, NoticeKind::none);
    EXPECT_EQ(applyPolicy(afterBack, false, back + expectedGap(mode) + 1, s).notice,
              NoticeKind::failure);
    // A clock far in the past (say, an unset RTC after boot) still alerts.
    EXPECT_EQ(applyPolicy(notifiedAt(kT0), false, 0, s).notice, NoticeKind::failure);
  }
}

TEST(PolicyClock, BackwardsClockDoesNotRepeatStateChangeButEveryStillSends) {
  EXPECT_EQ(applyPolicy(notifiedAt(kT0), false, kT0 - kDay, settingsFor(NotifyMode::stateChange, 1)).notice,
            NoticeKind::none);
  EXPECT_EQ(applyPolicy(notifiedAt(kT0), false, kT0 - kDay, settingsFor(NotifyMode::every, 1)).notice,
            NoticeKind::failure);
}

TEST(PolicyClock, ExtremeTimesDoNotOverflow) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (NotifyMode mode : kTimedModes) {
    SCOPED_TRACE(modeId(mode));
    const NotifySettings s = settingsFor(mode, 1);
    PolicyState farPast = notifiedAt(0);
    farPast.lastNotifyUnixMs = kMin;
    EXPECT_EQ(applyPolicy(farPast, false, kMax, s).notice, NoticeKind::failure);
    PolicyState nearEnd = notifiedAt(0);
    nearEnd.lastNotifyUnixMs = kMax - 10;
    EXPECT_EQ(applyPolicy(nearEnd, false, kMax, s).notice, NoticeKind::none);
  }
}

TEST(PolicyCounters, FailureCountSaturates) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  for (NotifyMode mode : kAllModes) {
    SCOPED_TRACE(modeId(mode));
    const PolicyState previous{JobHealth::failing, kMax, 0, kT0, kT0, true};
    const PolicyDecision d = applyPolicy(previous, false, kT0 + 2 * kDay, settingsFor(mode, 10));
    EXPECT_EQ(d.next.consecutiveFailures, kMax);
    EXPECT_EQ(d.notice, mode == NotifyMode::stateChange ? NoticeKind::none : NoticeKind::failure);
    // A threshold of UINT32_MAX is reached, once.
    const PolicyState almost{JobHealth::failing, kMax - 1, 0, kT0, 0, false};
    const PolicyDecision reached = applyPolicy(almost, false, kT0, settingsFor(mode, kMax));
    EXPECT_EQ(reached.next.consecutiveFailures, kMax);
    EXPECT_EQ(reached.notice, NoticeKind::failure);
  }
}

TEST(PolicyCounters, SuccessCountSaturatesAndStillRecovers) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  const NotifySettings s = settingsFor(NotifyMode::every, 1, true, kMax);
  const PolicyState almost{JobHealth::failing, 4, kMax - 2, kT0, kT0, true};
  PolicyDecision d = applyPolicy(almost, true, kT0, s);
  EXPECT_EQ(d.next.consecutiveSuccesses, kMax - 1);
  EXPECT_EQ(d.next.health, JobHealth::failing);
  d = applyPolicy(d.next, true, kT0, s);
  EXPECT_EQ(d.notice, NoticeKind::recovery);
  EXPECT_EQ(d.next, PolicyState{JobHealth::ok});
}

}  // namespace
}  // namespace checker
