#pragma once
// The notices that were due, derived from the runs the state recorded.
//
// Why this is sound: checkerd writes a finished run's history entry, the
// job's new state and, when the policy says notify, the outbox entry in one
// LMDB transaction (architecture.md, "One job run", step 7). So every run
// in the history was followed by exactly the notice the policy gave for it,
// committed with it; a run lost to a kill (not finished, or finished but
// not yet committed) left neither. Replaying the recorded runs of a job in
// order, from a fresh state, through DESIGN.md's rules for the job's
// settings (written out again here for the two modes used, not taken from
// state/policy.cpp) gives every notice that entered the outbox. An
// outbox entry is deleted only after the server accepted the message, so
// every one of them must be in the recipients' inboxes at the end.
//
// A notice is recognised in an inbox by its job (the body's "Job:" line and
// the subject) and its kind, and by its episode: the body gives the
// episode's first failure time to the second ("Failing since" / "Was
// failing from"), which checkerd takes when it records the first failing
// run, so it lies between that run's start and a moment after its end; and
// a failure notice gives the failures in a row, a recovery notice the
// failures of the episode.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/chaos/chaos_jobs.h"
#include "bench/chaos/state_ledger.h"

namespace checker::bench {

struct ExpectedNotice {
  std::string jobName;
  bool recovery = false;
  int64_t episodeFromSec = 0, episodeToSec = 0;  // the body's first failure time, unix seconds, within these
  uint32_t failures = 0;                         // in a row (failure notice) / of the episode (recovery)
  int64_t runStartedUnixMs = 0;                  // the run that made it
};

// Settings by name for every job that notifies; LEDGER's runs of each.
// A job whose recorded runs are fewer than its `runs` counter cannot be
// replayed: its name goes to *INCOMPLETE.
std::vector<ExpectedNotice> expectedNotices(const std::vector<ChaosJob>& jobs, const StateLedger& ledger,
                                            std::vector<std::string>* incomplete);

}  // namespace checker::bench
