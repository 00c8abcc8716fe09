#pragma once
// When jobs are due. No cron: the supervisor's loop asks this queue for the
// earliest due time and sleeps until then.
//
// Times are wall-clock unix milliseconds, because `hour`, `day` and
// `day_noon` are local-time boundaries (hour at :00, day at 00:00, day_noon
// at 12:00). Every job has a fixed phase inside its schedule's spread window
// (the smaller of its period and 60 s), derived from a hash of its identity:
// 1,000 minute jobs start spread over the minute instead of in one
// millisecond, and a job keeps the same phase across restarts.
#include <cstdint>
#include <queue>
#include <string_view>
#include <vector>

#include "config/config_values.h"

namespace checker {

// The window a job's phase falls in: min(period, 60 s).
int64_t spreadWindowMs(const Schedule& schedule);

// A stable phase in [0, spreadWindowMs) for the job with this identity.
int64_t phaseForJob(std::string_view jobId, const Schedule& schedule);

// The first due time strictly after AFTER (unix ms) of a job with this
// schedule and phase. Local-time boundaries follow the process's TZ.
int64_t nextDueUnixMs(const Schedule& schedule, int64_t phaseMs, int64_t afterUnixMs);

// A min-queue of (due time, job index). Entries are never removed in place:
// a caller that replaces a job's schedule bumps its generation and ignores
// stale entries when they come out.
class DueQueue {
 public:
  struct Entry {
    int64_t dueUnixMs;
    uint32_t job;
    uint32_t generation;
    bool operator>(const Entry& o) const { return dueUnixMs > o.dueUnixMs; }
  };

  void push(Entry entry) { heap_.push(entry); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Entry& top() const { return heap_.top(); }
  Entry pop() {
    Entry e = heap_.top();
    heap_.pop();
    return e;
  }
  void clear() { heap_ = {}; }

 private:
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace checker
