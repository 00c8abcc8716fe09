// Flap detection; the model is described in flapping.h.
#include "state/flapping.h"

namespace checker {

RecentRuns withRun(RecentRuns runs, bool failed) {
  const uint32_t mask = (1u << kFlapWindowRuns) - 1;
  runs.failedBits = ((runs.failedBits << 1) | (failed ? 1u : 0u)) & mask;
  if (runs.count < kFlapWindowRuns) ++runs.count;
  return runs;
}

double percentStateChange(RecentRuns runs) {
  const uint32_t transitions = kFlapWindowRuns - 1;
  const uint32_t count = runs.count > kFlapWindowRuns ? kFlapWindowRuns : runs.count;
  double weighted = 0;
  // Transition i is between run i+1 (older) and run i (newer); i = 0 is the
  // newest and weighs 1.2, i = 19 the oldest and weighs 0.8.
  for (uint32_t i = 0; i + 1 < count; ++i) {
    const bool newer = (runs.failedBits >> i) & 1u;
    const bool older = (runs.failedBits >> (i + 1)) & 1u;
    if (newer != older) weighted += 1.2 - 0.4 * static_cast<double>(i) / static_cast<double>(transitions - 1);
  }
  return weighted * 100.0 / static_cast<double>(transitions);
}

bool flappingAfter(bool wasFlapping, double percent, const FlapSettings& settings) {
  if (!settings.enabled) return false;
  if (wasFlapping) return percent >= static_cast<double>(settings.lowPercent);
  return percent >= static_cast<double>(settings.highPercent);
}

}  // namespace checker
