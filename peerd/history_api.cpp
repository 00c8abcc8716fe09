#include "peerd/history_api.h"

#include <charconv>

#include "common/json_text.h"
#include "common/percent_encoding.h"
#include "config/config_values.h"
#include "state/history_json.h"
#include "state/history_view.h"
#include "state/run_outcome.h"
#include "state/state_view.h"

namespace checker::peerd {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kMaxRangeMs = 400 * kDayMs;

HttpResponse json(int status, const Json& body, std::initializer_list<std::string_view> onePerLine = {}) {
  return HttpResponse{status, "application/json", jsonText(body, onePerLine) + "\n"};
}

HttpResponse error(int status, const std::string& what) { return json(status, Json{{"error", what}}); }

// The value of KEY in QUERY ("a=1&b=2"), undecoded; nullopt when absent.
std::optional<std::string_view> queryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// Times outside [0, this] (the year 9999) are refused: the range's
// arithmetic stays far from overflow.
constexpr int64_t kLatestTimeMs = 253'402'300'799'999;

// A point in time: Unix ms, or a duration before NOW.
Result<int64_t> timeParameter(std::string_view text, int64_t now, const char* name) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    if (value < 0 || value > kLatestTimeMs) return Error{std::string(name) + " '" + std::string(text) + "': not a time (0 to the year 9999)"};
    return value;
  }
  Result<Milliseconds> ago = parseDuration(text);
  if (ago && ago->count() >= 0) return now - ago->count();
  return Error{std::string(name) + " '" + std::string(text) + "': Unix time in ms, or a duration such as 24h or 7d"};
}

struct Range {
  int64_t since = 0, until = 0;
};

Result<Range> rangeOf(std::string_view query, int64_t now) {
  Range r{now - kDayMs, now + 1};
  if (std::optional<std::string_view> since = queryValue(query, "since")) {
    Result<int64_t> t = timeParameter(*since, now, "since");
    if (!t) return Error{t.error()};
    r.since = *t;
  }
  if (std::optional<std::string_view> until = queryValue(query, "until")) {
    Result<int64_t> t = timeParameter(*until, now, "until");
    if (!t) return Error{t.error()};
    r.until = *t;
  }
  if (r.until <= r.since) return Error{"until must be after since"};
  if (r.until - r.since > kMaxRangeMs) return Error{"the range is longer than 400 days"};
  return r;
}

Json uptimeWindows(const std::vector<Uptime>& u) {
  return Json{{"24h", uptimeJson(u[0])}, {"7d", uptimeJson(u[1])}, {"30d", uptimeJson(u[2])}};
}

// UPTIMES: the cache to take them from; nullptr: read now.
Json jobJson(const StateReader& txn, const LiveJob& job, int64_t now, UptimeCache* uptimes) {
  Json out{{"id", job.id}, {"name", job.name}};
  std::optional<JobStatus> s = readJobStatus(txn, job.id);
  if (!s) {
    out["state"] = "not run yet";
  } else if (s->unreadable) {
    out["state"] = "unreadable";
    out["error"] = s->message;
  } else {
    out["type"] = s->type;
    out["state"] = healthName(s->health);
    out["consecutive_failures"] = s->consecutiveFailures;
    out["failing_since_unix_ms"] = s->firstFailureUnixMs > 0 ? Json(s->firstFailureUnixMs) : Json(nullptr);
    out["last_run"] = s->runs == 0 ? Json(nullptr)
                                   : Json{{"started_unix_ms", s->lastRunUnixMs},
                                          {"duration_ms", s->lastDurationMs},
                                          {"outcome", outcomeName(s->lastOutcome)},
                                          {"message", s->message},
                                          {"latency_ms", s->lastLatencyUs < 0 ? Json(nullptr)
                                                                              : Json(static_cast<double>(s->lastLatencyUs) / 1000.0)}};
    out["runs"] = s->runs;
  }
  out["uptime"] = uptimeWindows(uptimes ? uptimes->windows(txn, job.id, now) : readUptimeWindows(txn, job.id, now));
  std::string self = std::string(kApiPrefix) + "jobs/" + percentEncode(job.id);
  out["links"] = Json{{"self", self}, {"history", self + "/history"}, {"page", "/job/" + percentEncode(job.id)}};
  return out;
}

Json incidentsJson(const std::vector<JobIncident>& incidents, int64_t now) {
  Json list = Json::array();
  for (const JobIncident& incident : incidents) list.push_back(incidentJson(incident, now));
  return list;
}

HttpResponse historyOf(const StateReader& txn, const LiveJob& job, const ApiRequest& asked, int64_t now) {
  std::vector<HistoryRun> runs = readRuns(txn, job.id, asked.sinceUnixMs, asked.untilUnixMs);
  bool cut = runs.size() > kMaxApiRuns;
  if (cut) runs.erase(runs.begin(), runs.end() - static_cast<std::ptrdiff_t>(kMaxApiRuns));
  Json runList = Json::array(), hours = Json::array();
  for (const HistoryRun& run : runs) runList.push_back(historyRunJson(run));
  for (const HourlyAggregate& hour : readHourly(txn, job.id, asked.sinceUnixMs, asked.untilUnixMs)) {
    hours.push_back(hourlyJson(hour));
  }
  Json body{{"id", job.id},
            {"name", job.name},
            {"since_unix_ms", asked.sinceUnixMs},
            {"until_unix_ms", asked.untilUnixMs},
            {"uptime", uptimeJson(readUptime(txn, job.id, asked.sinceUnixMs, asked.untilUnixMs))},
            {"runs_truncated", cut},
            {"runs", std::move(runList)},
            {"hourly", std::move(hours)},
            {"incidents", incidentsJson(readIncidents(txn, job.id, asked.sinceUnixMs, asked.untilUnixMs), now)}};
  return json(200, body, {"runs", "hourly", "incidents"});
}

}  // namespace

std::variant<ApiRequest, ApiError> parseApiRequest(std::string_view url, int64_t now) {
  size_t question = url.find('?');
  std::string_view path = url.substr(0, question);
  std::string_view query = question == std::string_view::npos ? "" : url.substr(question + 1);
  if (path.substr(0, kApiPrefix.size()) != kApiPrefix) return ApiError{404, "no such API path"};
  path.remove_prefix(kApiPrefix.size());
  ApiRequest asked;
  if (path == "jobs") return asked;
  if (path == "incidents") {
    asked.kind = ApiRequest::Kind::incidents;
  } else if (path.substr(0, 5) == "jobs/") {
    path.remove_prefix(5);
    asked.kind = ApiRequest::Kind::job;
    if (size_t slash = path.find('/'); slash != std::string_view::npos) {
      if (path.substr(slash) != "/history") return ApiError{404, "no such API path"};
      asked.kind = ApiRequest::Kind::history;
      path = path.substr(0, slash);
    }
    Result<std::string> id = checker::percentDecode(path);
    if (!id) return ApiError{400, "the job id is not percent-encoded properly"};
    asked.jobId = std::move(*id);
    if (asked.kind == ApiRequest::Kind::job) return asked;
  } else {
    return ApiError{404, "no such API path"};
  }
  Result<Range> range = rangeOf(query, now);
  if (!range) return ApiError{400, range.error()};
  asked.sinceUnixMs = range->since;
  asked.untilUnixMs = range->until;
  return asked;
}

HttpResponse answerApi(std::string_view url, const StateReader& txn, const std::vector<LiveJob>& jobs, int64_t now,
                       UptimeCache* uptimes) {
  std::variant<ApiRequest, ApiError> parsed = parseApiRequest(url, now);
  if (const ApiError* e = std::get_if<ApiError>(&parsed)) return error(e->status, e->what);
  const ApiRequest& asked = std::get<ApiRequest>(parsed);
  if (asked.kind == ApiRequest::Kind::jobs) {
    Json list = Json::array();
    if (uptimes) uptimes->keepOnly(jobs);
    for (const LiveJob& job : jobs) list.push_back(jobJson(txn, job, now, uptimes));
    return json(200, Json{{"jobs", std::move(list)}}, {"jobs"});
  }
  if (asked.kind == ApiRequest::Kind::incidents) {
    return json(200,
                Json{{"since_unix_ms", asked.sinceUnixMs},
                     {"until_unix_ms", asked.untilUnixMs},
                     {"incidents", incidentsJson(readAllIncidents(txn, asked.sinceUnixMs, asked.untilUnixMs), now)}},
                {"incidents"});
  }
  for (const LiveJob& job : jobs) {
    if (job.id != asked.jobId) continue;
    if (asked.kind == ApiRequest::Kind::history) return historyOf(txn, job, asked, now);
    Json body = jobJson(txn, job, now, nullptr);  // one job: read now
    body["incidents"] = incidentsJson(readIncidents(txn, job.id, now - 30 * kDayMs, now + 1), now);
    return json(200, body, {"incidents"});
  }
  return error(404, "no job with id '" + asked.jobId + "' (see /api/v1/jobs)");
}

}  // namespace checker::peerd
