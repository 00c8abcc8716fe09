#pragma once
// What `checker history` prints: for each job, its uptime over the range,
// a sparkline of its latency, the latency spread, its incidents and its
// latest runs (text for people), or one JSON document (for scripts; the
// keys are state/history_json.h's). Pure: a report in, text out.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/terminal.h"
#include "state/history_view.h"

namespace checker::cli {

struct JobHistory {
  std::string id, name, type;
  std::vector<HistoryRun> runs;          // started in the range, oldest first
  std::vector<HourlyAggregate> hours;    // overlapping the range, oldest first
  std::vector<JobIncident> incidents;    // overlapping the range, oldest first
  Uptime uptime;                         // over the range's hours
};

struct HistoryReport {
  int64_t sinceUnixMs = 0, untilUnixMs = 0;
  std::vector<JobHistory> jobs;
};

// One character per value, its height its share of the highest value
// (▁..█ when UNICODE, else " .:-=+*#"); a negative value (no data) is a
// space.
std::string sparkline(const std::vector<double>& values, bool unicode);

// The latency of RUNS (raw, or the hours' medians when the range is
// longer than the raw runs cover) over [since, until) in COLUMNS equal
// slices, each the highest latency in it in ms; -1 where none.
std::vector<double> latencyColumns(const JobHistory& job, int64_t sinceUnixMs, int64_t untilUnixMs, size_t columns);

// At most LAST_RUNS of each job's runs are listed (its newest).
std::string historyText(const HistoryReport& report, const TerminalOutput& out, bool unicode, int64_t nowUnixMs,
                        size_t lastRuns);
std::string historyJson(const HistoryReport& report, int64_t nowUnixMs);

}  // namespace checker::cli
