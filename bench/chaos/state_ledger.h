#pragma once
// What checker-bench-chaos learns from the LMDB state, read the way the CLI
// reads it (StateStore::openReadOnly, state/state_view.h) after every
// kill, while nothing writes it:
//   - that it opens and that every value in every database decodes (a
//     "clean open" for the reader);
//   - every run the state recorded, by job: `history` keeps only the last
//     50 runs of a job, so each snapshot adds what it holds to the ledger,
//     and a job's `runs` counter (its JobState) says whether the ledger has
//     them all;
//   - every alert and recovery notice seen in the outbox (committed, not
//     yet confirmed by the mailer): each must reach the inboxes.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace checker::bench {

struct LedgerRun {
  uint32_t durationMs = 0;
  bool ok = false;
};

struct LedgerJob {
  std::string id, name;
  uint64_t runs = 0;  // the JobState's counter at the last snapshot
  std::map<int64_t, LedgerRun> history;  // by start (unix ms): every run seen
};

// An outbox entry as stored (subject and body as the recipient must see them).
struct SeenNotice {
  bool recovery = false;
  std::string jobId, subject, body;
  std::vector<std::string> to;
  uint32_t attempts = 0;
  bool permanentFailure = false;
  bool operator<(const SeenNotice& o) const { return subject != o.subject ? subject < o.subject : body < o.body; }
};

struct SnapshotFacts {
  size_t jobs = 0;
  size_t outboxPending = 0;       // entries waiting (not refused for good)
  size_t noticesInOutbox = 0;     // of them, job alerts and recovery notices
  size_t newRuns = 0;             // runs the ledger had not seen before
  int64_t heartbeatUnixMs = 0;
};

class StateLedger {
 public:
  // Opens STATEDIR read-only and reads everything in it. Throws
  // std::runtime_error saying what did not open or decode.
  SnapshotFacts snapshot(const std::string& stateDir);

  const std::map<std::string, LedgerJob>& jobs() const { return jobs_; }  // by id
  const std::set<SeenNotice>& seenInOutbox() const { return seen_; }
  size_t snapshots() const { return snapshots_; }

 private:
  std::map<std::string, LedgerJob> jobs_;
  std::set<SeenNotice> seen_;
  size_t snapshots_ = 0;
};

}  // namespace checker::bench
