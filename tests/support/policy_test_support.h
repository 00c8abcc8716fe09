#pragma once
// Shared by the policy tests: readable printing of policy values, time
// constants, and settings helpers.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>

#include "state/policy.h"

namespace checker {

inline void PrintTo(const PolicyState& s, std::ostream* os) {
  *os << "{" << jobHealthName(s.health) << " failures=" << s.consecutiveFailures
      << " successes=" << s.consecutiveSuccesses << " first=" << s.firstFailureUnixMs
      << " lastNotify=" << s.lastNotifyUnixMs << " notified=" << s.notifiedFailure << "}";
}
inline void PrintTo(NoticeKind k, std::ostream* os) { *os << noticeKindName(k); }
inline void PrintTo(NotifyMode m, std::ostream* os) { *os << notifyModeName(m); }

namespace policy_test {

constexpr int64_t kSecond = 1'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kT0 = 1'700'000'000'000;  // a realistic Unix time in ms

constexpr NotifyMode kAllModes[] = {NotifyMode::every, NotifyMode::fiveMinutes,
                                    NotifyMode::tenMinutes, NotifyMode::hour,
                                    NotifyMode::day, NotifyMode::stateChange};
constexpr NotifyMode kTimedModes[] = {NotifyMode::fiveMinutes, NotifyMode::tenMinutes,
                                      NotifyMode::hour, NotifyMode::day};

inline NotifySettings settingsFor(NotifyMode mode, uint32_t threshold, bool notifyRecovery = true,
                           uint32_t recoverAfter = 1) {
  return NotifySettings{mode, threshold, notifyRecovery, recoverAfter};
}

// Test-side names usable in parameterized test names (no digits first, no '_').
inline std::string modeId(NotifyMode mode) {
  switch (mode) {
    case NotifyMode::every: return "Every";
    case NotifyMode::fiveMinutes: return "FiveMin";
    case NotifyMode::tenMinutes: return "TenMin";
    case NotifyMode::hour: return "Hour";
    case NotifyMode::day: return "Day";
    case NotifyMode::stateChange: return "StateChange";
  }
  return "Unknown";
}

}  // namespace policy_test
}  // namespace checker
