#pragma once
// peerd's read-only JSON API for scripts, on the peer port under the same
// access rule as the status page (`[peerd] status_page`):
//
//   GET /api/v1/jobs                        every job checkerd runs: its state, last run, latency,
//                                           uptime over 24 h, 7 d and 30 d
//   GET /api/v1/jobs/ID                     one job: the same, and its incidents of the last 30 d
//   GET /api/v1/jobs/ID/history?since=&until=   its runs, hourly aggregates and incidents in the range
//   GET /api/v1/incidents?since=&until=     every job's incidents in the range
//
// ID is the job id, percent-encoded ("http:https://a/b" as
// "http%3Ahttps%3A%2F%2Fa%2Fb"; a job's `links.self` gives it). since and
// until are Unix time in milliseconds, or a duration before now ("24h",
// "7d"); by default the last 24 hours; at most 400 days. The keys are in
// docs/api.md; runs and incidents use state/history_json.h's.
//
// Pure but for the read transaction: the URL and a snapshot in, the answer out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "peerd/http_response.h"
#include "peerd/status_snapshot.h"
#include "peerd/uptime_cache.h"
#include "state/state_store.h"

namespace checker::peerd {

inline constexpr std::string_view kApiPrefix = "/api/v1/";
// A history answer lists at most this many runs (the newest), and says so.
inline constexpr size_t kMaxApiRuns = 50'000;

// What a request under kApiPrefix asks for, parsed from its URL alone.
struct ApiRequest {
  enum class Kind { jobs, job, history, incidents } kind = Kind::jobs;
  std::string jobId;                // job, history: decoded
  int64_t sinceUnixMs = 0, untilUnixMs = 0;  // history, incidents
};
struct ApiError {
  int status;  // 400 or 404
  std::string what;
};
// URL (path and query, as sent) at NOW; an ApiError for a path that is no
// API's (404) or a malformed id or range (400).
std::variant<ApiRequest, ApiError> parseApiRequest(std::string_view url, int64_t nowUnixMs);

// URL (path and query, as sent) under kApiPrefix. JOBS: the jobs checkerd
// runs, in its order. UPTIMES: where /api/v1/jobs takes every job's uptime
// windows from (peerd/uptime_cache.h); nullptr: read now. One job's own
// answer always reads them now.
HttpResponse answerApi(std::string_view url, const StateReader& txn, const std::vector<LiveJob>& jobs,
                       int64_t nowUnixMs, UptimeCache* uptimes = nullptr);

}  // namespace checker::peerd
