#pragma once
// Flap detection, Nagios' model: the percent state change over a job's
// last 21 runs (20 transitions between ok and not ok), newer transitions
// weighing more (0.8 for the oldest up to 1.2 for the newest), so a job
// that has just settled stops counting as flapping sooner than one that
// has just started. A job starts flapping when the percentage reaches the
// high threshold and stops once it falls below the low one; the gap
// between the two keeps it from flapping in and out of flapping.
// Pure: no clock, no I/O.
#include <cstdint>

#include "config/config.h"  // FlapSettings

namespace checker {

// The last runs as bits, newest in bit 0: 1 = the run failed.
struct RecentRuns {
  uint32_t failedBits = 0;
  uint32_t count = 0;  // runs in failedBits, at most kFlapWindowRuns
  bool operator==(const RecentRuns&) const = default;
};

inline constexpr uint32_t kFlapWindowRuns = 21;

// RUNS with one more run at the newest end.
RecentRuns withRun(RecentRuns runs, bool failed);

// The weighted percent state change of RUNS, 0..100. Fewer than 21 runs
// count their transitions against all 20, so a new job is not flapping
// after two changes.
double percentStateChange(RecentRuns runs);

// Whether a job is flapping after a run that left PERCENT, given whether
// it was before (the hysteresis between the two thresholds).
bool flappingAfter(bool wasFlapping, double percent, const FlapSettings& settings);

}  // namespace checker
