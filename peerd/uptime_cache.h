#pragma once
// The uptime windows of /api/v1/jobs (24 h, 7 d and 30 d) per job, kept for
// a while: reading 30 days of hours for 1,000 jobs takes about 230 ms of
// peerd's loop (BENCHMARKS.md), which a script asking every second would
// take from the peers, while a 30-day ratio moves by at most 0.005 % in a
// minute. Each job's windows are kept `keepMs` plus a share of it fixed by
// the job's id, so after a cold start the refreshes spread over later
// requests instead of all falling on one. A clock that went back makes an
// entry stale. Only the jobs of the last list asked are kept.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "peerd/status_snapshot.h"
#include "state/history_view.h"

namespace checker::peerd {

// 24 h, 7 d and 30 d before NOW, in that order.
inline constexpr int64_t kUptimeWindowsMs[] = {86'400'000, 7 * 86'400'000LL, 30 * 86'400'000LL};

class UptimeCache {
 public:
  explicit UptimeCache(int64_t keepMs = 60'000) : keepMs_(keepMs) {}

  // JOB_ID's windows at NOW (unix ms): kept ones while fresh, else read from TXN.
  const std::vector<Uptime>& windows(const StateReader& txn, const std::string& jobId, int64_t nowUnixMs);
  // Forgets every job but JOBS (or those with IDS).
  void keepOnly(const std::vector<LiveJob>& jobs);
  void keepOnly(const std::vector<std::string>& ids);

  size_t reads() const { return reads_; }  // windows read from the state so far
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int64_t readUnixMs = 0;
    std::vector<Uptime> windows;
  };
  int64_t keepMs_;
  std::unordered_map<std::string, Entry> entries_;
  size_t reads_ = 0;
};

// The three windows read now, uncached.
std::vector<Uptime> readUptimeWindows(const StateReader& txn, const std::string& jobId, int64_t nowUnixMs);

}  // namespace checker::peerd
