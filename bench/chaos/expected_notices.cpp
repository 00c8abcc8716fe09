#include "bench/chaos/expected_notices.h"

namespace checker::bench {
namespace {

// The slack after a run's end within which checkerd records it (the loop
// turn, the batch): generous, since episodes of one job are seconds apart.
constexpr int64_t kRecordSlackMs = 3000;

int64_t floorSec(int64_t ms) { return ms / 1000; }

// DESIGN.md's policy for modes `every` and `state_change`, one job's runs in order.
void replay(const ChaosJob& job, const LedgerJob& recorded, std::vector<ExpectedNotice>& out) {
  bool failing = false, notified = false;
  uint32_t failures = 0, successes = 0;
  int64_t episodeStart = 0, episodeEnd = 0;
  auto notice = [&](bool recovery, int64_t runStart) {
    ExpectedNotice n;
    n.jobName = job.name;
    n.recovery = recovery;
    n.episodeFromSec = floorSec(episodeStart);
    n.episodeToSec = floorSec(episodeEnd + kRecordSlackMs);
    n.failures = failures;
    n.runStartedUnixMs = runStart;
    out.push_back(n);
  };
  for (const auto& [start, run] : recorded.history) {
    if (!run.ok) {
      if (!failing) {
        failing = true;
        notified = false;
        failures = 0;
        episodeStart = start;
        episodeEnd = start + run.durationMs;
      }
      ++failures;
      successes = 0;
      if (failures >= job.failuresBeforeNotify && (job.mode == ChaosMode::every || !notified)) {
        notice(false, start);
        notified = true;
      }
    } else if (failing && ++successes >= job.recoverAfter) {
      if (job.notifyRecovery && notified) notice(true, start);
      failing = false;
      notified = false;
      failures = successes = 0;
    }
  }
}

}  // namespace

std::vector<ExpectedNotice> expectedNotices(const std::vector<ChaosJob>& jobs, const StateLedger& ledger,
                                            std::vector<std::string>* incomplete) {
  std::map<std::string, const LedgerJob*> byName;
  for (const auto& [id, job] : ledger.jobs()) byName[job.name] = &job;
  std::vector<ExpectedNotice> out;
  for (const ChaosJob& job : jobs) {
    if (!job.notifies) continue;
    auto found = byName.find(job.name);
    if (found == byName.end()) continue;  // never recorded a run: nothing was due
    const LedgerJob& recorded = *found->second;
    if (recorded.history.size() != recorded.runs) {
      incomplete->push_back(job.name + " (" + std::to_string(recorded.history.size()) + " of " +
                            std::to_string(recorded.runs) + " runs seen)");
      continue;
    }
    replay(job, recorded, out);
  }
  return out;
}

}  // namespace checker::bench
