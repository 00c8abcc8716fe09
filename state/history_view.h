#pragma once
// A job's history as the status page, the JSON API and `checker history`
// read it (peerd/, cli/): raw runs, hourly aggregates, incidents and uptime
// over a time range, decoded from a read transaction into plain values.
// Ranges are [sinceUnixMs, untilUnixMs) in UTC epoch ms. Like state_view,
// a stored value that cannot be decoded never throws: a run says it is
// unreadable; an unreadable aggregate or incident is left out.
//
// Cost: each call seeks to the range's first key and reads only the range
// (hourly and raw); incidents are read by key and only those that can
// overlap the range are decoded (readAllIncidents walks every key of the
// `incidents` database, bounded by retention).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/state.capnp.h"
#include "state/hourly_aggregate.h"
#include "state/incidents.h"
#include "state/run_measurements.h"
#include "state/state_store.h"

namespace checker {

// One raw run (the `history` database).
struct HistoryRun {
  int64_t startedUnixMs = 0;
  uint32_t durationMs = 0;
  ipc::Outcome outcome = ipc::Outcome::OK;
  int32_t signal = 0;
  std::string message;        // or, when unreadable, why
  bool unreadable = false;
  RunMeasurements measured;   // latencyUs -1: none
  std::string note = {};      // a notice due and held by the gate, and why
};

// JOB's runs that started in [since, until), oldest first; at most limit
// of them (the oldest ones).
std::vector<HistoryRun> readRuns(const StateReader& txn, std::string_view jobId, int64_t sinceUnixMs,
                                 int64_t untilUnixMs, size_t limit = std::numeric_limits<size_t>::max());

// JOB's newest COUNT runs, oldest first; only those are read.
std::vector<HistoryRun> readLatestRuns(const StateReader& txn, std::string_view jobId, size_t count);

// JOB's hourly aggregates of the hours that overlap [since, until), oldest
// first. Hours without runs have no aggregate (a gap, not zeros).
std::vector<HourlyAggregate> readHourly(const StateReader& txn, std::string_view jobId, int64_t sinceUnixMs,
                                        int64_t untilUnixMs);

struct JobIncident {
  std::string jobId;
  Incident incident;  // endUnixMs 0: still open
};

// JOB's incidents that overlap [since, until) (an open one reaches to now),
// oldest first.
std::vector<JobIncident> readIncidents(const StateReader& txn, std::string_view jobId, int64_t sinceUnixMs,
                                       int64_t untilUnixMs);
// Every job's, by job id then start.
std::vector<JobIncident> readAllIncidents(const StateReader& txn, int64_t sinceUnixMs, int64_t untilUnixMs);

// Runs and failures over the whole hours that overlap [since, until) (the
// current hour's aggregate holds every run so far): since is in effect
// rounded down to its hour.
struct Uptime {
  uint64_t runs = 0;
  uint64_t failures = 0;
  // (runs - failures) / runs; nullopt without runs.
  std::optional<double> ratio() const {
    if (runs == 0) return std::nullopt;
    return static_cast<double>(runs - failures) / static_cast<double>(runs);
  }
};
Uptime readUptime(const StateReader& txn, std::string_view jobId, int64_t sinceUnixMs, int64_t untilUnixMs);
// The same over several windows ending at UNTIL, in one pass over the
// longest (each hour's counts read in place: readHourCounts).
std::vector<Uptime> readUptimes(const StateReader& txn, std::string_view jobId, const std::vector<int64_t>& sinces,
                                int64_t untilUnixMs);

}  // namespace checker
