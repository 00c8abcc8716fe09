#pragma once
// What a finished run leaves in the history databases, inside the batch's
// write transaction (StateWriter::flush): the raw run (`history`), its
// hour's aggregate (`hourly`, one small read-modify-write), the job's
// incident (`incidents`, driven by the policy's state after the run) and the
// job's index (`history_index`: its run count and open incident).
//
// Bounded without scans: the index holds the job's exact run count (written
// in the same transaction as the runs, so it is right after any restart),
// and keys sort oldest first per job, so trimming deletes from the front of
// the job's prefix until both limits hold: O(entries dropped) per run, a
// few B-tree seeks when nothing is due. A job without an index (a store
// another program wrote) is counted once, then indexed.
//
// Ages are measured from the flush's time. A clock stepped far back keeps
// more than the window until it catches up; runs keyed before existing ones
// are the first dropped by count.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "state/state_store.h"
#include "state/state_writer.h"

namespace checker {

inline constexpr int64_t kDayMs = 86'400'000;

struct HistoryIndex {
  uint32_t runs = 0;                // entries of the job in `history`
  int64_t openIncidentUnixMs = 0;   // the open incident's start; 0: none
};

// The job's index; counted from `history` when it has none yet.
HistoryIndex readHistoryIndex(const StateReader& txn, std::string_view jobId);
void writeHistoryIndex(WriteTransaction& txn, std::string_view jobId, const HistoryIndex& index);

// ipc::RunRecord of RUN, as stored in `history`.
std::string encodeRunRecord(const FinishedRun& run);

// Writes RUN's raw record, aggregate and incident, then trims the job's
// history to RETENTION as of nowUnixMs.
void recordRunHistory(WriteTransaction& txn, const FinishedRun& run, const HistoryRetention& retention,
                      int64_t nowUnixMs);

// Adds one run to its hour's aggregate (skipped when that hour is already
// past hourCutoffMs); shared with the schema upgrade.
void addToHourly(WriteTransaction& txn, std::string_view jobId, int64_t startedUnixMs, bool failed,
                 int64_t latencyUs, int64_t hourCutoffMs);

}  // namespace checker
