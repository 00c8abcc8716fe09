#pragma once
// A job's history as JSON, the same keys wherever it is shown: `checker
// history --json` and peerd's /api/v1 (docs/api.md lists them). Times are
// Unix epoch milliseconds (UTC), durations milliseconds, latencies
// milliseconds with a fraction; a value that was not measured is null.
#include "common/json_text.h"
#include "state/history_view.h"

namespace checker {

// {"started_unix_ms", "duration_ms", "outcome", "signal", "message",
//  "latency_ms", "measurements": [{"name", "value", "unit", "warn", "crit", "min", "max"}]}
Json historyRunJson(const HistoryRun& run);
// {"hour_start_unix_ms", "runs", "failures", "latency_ms": null or {"min", "p50", "p95", "max", "mean"}}
Json hourlyJson(const HourlyAggregate& hour);
// {"job_id", "start_unix_ms", "end_unix_ms" (null while open), "open", "duration_ms" (so far, at NOW, while open),
//  "first_message", "last_message", "failures", "notices"}
Json incidentJson(const JobIncident& incident, int64_t nowUnixMs);
// {"runs", "failures", "ratio" (null without runs)}
Json uptimeJson(const Uptime& uptime);

}  // namespace checker
