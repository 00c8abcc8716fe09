#include "supervisor/scheduler.h"

#include <ctime>

namespace checker {
namespace {

constexpr int64_t kMaxSpreadMs = 60'000;

// FNV-1a: stable across runs and builds (std::hash is not promised to be).
uint64_t stableHash(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Local wall-clock boundary: the start of the hour / day containing T (at
// HOUR for days), moved by STEPS hours or days.
int64_t localBoundary(int64_t unixMs, Schedule::Kind kind, int steps) {
  time_t seconds = static_cast<time_t>(floorDiv(unixMs, 1000));
  tm local{};
  localtime_r(&seconds, &local);
  local.tm_sec = 0;
  local.tm_min = 0;
  if (kind == Schedule::Kind::hour) {
    local.tm_hour += steps;
  } else {
    local.tm_hour = kind == Schedule::Kind::dayNoon ? 12 : 0;
    local.tm_mday += steps;
  }
  local.tm_isdst = -1;  // let mktime decide across DST changes
  return static_cast<int64_t>(mktime(&local)) * 1000;
}

int64_t nextLocalDue(Schedule::Kind kind, int64_t phaseMs, int64_t after) {
  // Start one boundary back so a phase that reaches past AFTER is found.
  for (int steps = -1; steps <= 3; ++steps) {
    int64_t due = localBoundary(after, kind, steps) + phaseMs;
    if (due > after) return due;
  }
  return after + 86'400'000;  // unreachable with sane time zones
}

}  // namespace

int64_t spreadWindowMs(const Schedule& schedule) {
  int64_t period = schedule.period().count();
  return period < kMaxSpreadMs ? period : kMaxSpreadMs;
}

int64_t phaseForJob(std::string_view jobId, const Schedule& schedule) {
  return static_cast<int64_t>(stableHash(jobId) % static_cast<uint64_t>(spreadWindowMs(schedule)));
}

int64_t nextDueUnixMs(const Schedule& schedule, int64_t phaseMs, int64_t after) {
  switch (schedule.kind) {
    case Schedule::Kind::minute:
    case Schedule::Kind::interval: {
      // Minute boundaries are the same in UTC and local time.
      int64_t period = schedule.period().count();
      return (floorDiv(after - phaseMs, period) + 1) * period + phaseMs;
    }
    case Schedule::Kind::hour:
    case Schedule::Kind::day:
    case Schedule::Kind::dayNoon:
      return nextLocalDue(schedule.kind, phaseMs, after);
  }
  return after + schedule.period().count();
}

}  // namespace checker
