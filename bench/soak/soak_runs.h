#pragma once
// Every run checkerd records, compared with what its kind must produce.
//
// Reads the LMDB state read-only while checkerd writes it: per job its
// JobState (the count of recorded runs) and its history entries newer than
// the last one seen. History keeps 50 runs per job and the soak reads it a
// few times a second, so every run is seen; a job whose run count grew by
// more than the entries seen has runs that were never checked, which is
// counted as `unverified` rather than passed over.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/soak/soak_kinds.h"
#include "state/state_store.h"

namespace checker::bench {

struct KindTally {
  uint64_t runs = 0;
  uint64_t misclassified = 0;
  std::map<ipc::Outcome, uint64_t> outcomes;
};

class RunVerifier {
 public:
  explicit RunVerifier(const std::string& stateDir);

  // Reads what was recorded since the last call.
  void poll();

  uint64_t hostileRuns() const { return hostile_; }
  uint64_t healthyRuns() const { return healthy_; }
  uint64_t misclassified() const { return misclassified_; }
  // Runs counted in a job's state whose history entry was never read.
  uint64_t unverified() const;
  // Runs recorded for jobs that are none of the soak's kinds (expected 0).
  uint64_t foreignRuns() const { return foreign_; }
  // Recorded runs of the job with section name SECTION (0 when unknown).
  uint64_t runsOfSection(const std::string& section) const;
  const std::map<std::string, KindTally>& byKind() const { return byKind_; }
  // The first misclassified runs, one line each.
  const std::vector<std::string>& examples() const { return examples_; }

 private:
  struct JobSeen {
    const SoakKind* kind = nullptr;
    int64_t lastStartedMs = -1;
    uint64_t seen = 0;  // history entries read
    uint64_t runs = 0;  // JobState.runs at the last poll
  };

  void check(const std::string& name, const JobSeen& job, int64_t startedMs, ipc::Outcome outcome,
             const std::string& message);

  StateStore store_;
  std::map<std::string, JobSeen> jobs_;  // by job id
  std::map<std::string, std::string> idOfSection_;
  std::map<std::string, KindTally> byKind_;
  std::vector<std::string> examples_;
  uint64_t hostile_ = 0, healthy_ = 0, misclassified_ = 0, foreign_ = 0;
};

}  // namespace checker::bench
