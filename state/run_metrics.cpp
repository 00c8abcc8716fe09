#include "state/run_metrics.h"

#include <algorithm>

namespace checker {
namespace {

// Index of OUTCOME in kOutcomes; kOutcomes.size() for one this build does
// not know (a newer sender).
size_t outcomeIndex(ipc::Outcome outcome) {
  return static_cast<size_t>(std::find(kOutcomes.begin(), kOutcomes.end(), outcome) - kOutcomes.begin());
}

}  // namespace

RunMetrics::RunMetrics()
    : durationBoundsMs(kDurationBoundsMs.begin(), kDurationBoundsMs.end()),
      durationBuckets(kDurationBoundsMs.size() + 1, 0) {}

void RunMetrics::recordRun(ipc::Outcome outcome, uint32_t durationMs) {
  size_t index = outcomeIndex(outcome);
  if (index < runsByOutcome.size()) ++runsByOutcome[index];
  // The first bound at or above the duration (Prometheus' buckets are "le").
  size_t bucket = static_cast<size_t>(std::lower_bound(durationBoundsMs.begin(), durationBoundsMs.end(), durationMs) -
                                      durationBoundsMs.begin());
  ++durationBuckets[bucket];
  durationSumMs += durationMs;
}

uint64_t RunMetrics::runs() const {
  uint64_t total = 0;
  for (uint64_t n : runsByOutcome) total += n;
  return total;
}

void writeSupervisorCounters(const SupervisorCounters& counters, ipc::RunMetrics::Builder out) {
  const RunMetrics& runs = counters.runs;
  auto byOutcome = out.initRunsByOutcome(static_cast<unsigned>(kOutcomes.size()));
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    byOutcome[static_cast<unsigned>(i)].setOutcome(kOutcomes[i]);
    byOutcome[static_cast<unsigned>(i)].setRuns(runs.runsByOutcome[i]);
  }
  auto bounds = out.initDurationBoundsMs(static_cast<unsigned>(runs.durationBoundsMs.size()));
  for (size_t i = 0; i < runs.durationBoundsMs.size(); ++i) bounds.set(static_cast<unsigned>(i), runs.durationBoundsMs[i]);
  auto buckets = out.initDurationBuckets(static_cast<unsigned>(runs.durationBuckets.size()));
  for (size_t i = 0; i < runs.durationBuckets.size(); ++i) buckets.set(static_cast<unsigned>(i), runs.durationBuckets[i]);
  out.setDurationSumMs(runs.durationSumMs);
  out.setSpawnFailures(counters.spawnFailures);
  out.setOverruns(counters.overruns);
  out.setRunsLost(counters.runsLost);
}

Result<SupervisorCounters> readSupervisorCounters(ipc::RunMetrics::Reader in) {
  SupervisorCounters counters;
  RunMetrics& runs = counters.runs;
  for (auto count : in.getRunsByOutcome()) {
    size_t index = outcomeIndex(count.getOutcome());
    if (index < runs.runsByOutcome.size()) runs.runsByOutcome[index] = count.getRuns();
  }
  runs.durationBoundsMs.clear();
  runs.durationBuckets.clear();
  for (uint32_t bound : in.getDurationBoundsMs()) runs.durationBoundsMs.push_back(bound);
  for (uint64_t bucket : in.getDurationBuckets()) runs.durationBuckets.push_back(bucket);
  if (!std::is_sorted(runs.durationBoundsMs.begin(), runs.durationBoundsMs.end()) ||
      std::adjacent_find(runs.durationBoundsMs.begin(), runs.durationBoundsMs.end()) != runs.durationBoundsMs.end()) {
    return Error{"duration bounds are not strictly ascending"};
  }
  if (runs.durationBuckets.size() != runs.durationBoundsMs.size() + 1) {
    return Error{std::to_string(runs.durationBuckets.size()) + " duration buckets for " +
                 std::to_string(runs.durationBoundsMs.size()) + " bounds (expected one more)"};
  }
  runs.durationSumMs = in.getDurationSumMs();
  counters.spawnFailures = in.getSpawnFailures();
  counters.overruns = in.getOverruns();
  counters.runsLost = in.getRunsLost();
  return counters;
}

}  // namespace checker
