#include "state/history_json.h"

#include "state/run_outcome.h"

namespace checker {
namespace {

Json milliseconds(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

}  // namespace

Json historyRunJson(const HistoryRun& run) {
  Json measurements = Json::array();
  for (const RunMeasurement& m : run.measured.named) {
    measurements.push_back(Json{{"name", m.name}, {"value", m.value}, {"unit", m.unit}, {"warn", m.warn},
                                {"crit", m.crit}, {"min", m.min}, {"max", m.max}});
  }
  return Json{{"started_unix_ms", run.startedUnixMs},
              {"duration_ms", run.durationMs},
              {"outcome", run.unreadable ? "unreadable" : outcomeName(run.outcome)},
              {"signal", run.signal},
              {"message", run.message},
              {"note", run.note},
              {"latency_ms", run.measured.latencyUs < 0 ? Json(nullptr) : milliseconds(run.measured.latencyUs)},
              {"measurements", std::move(measurements)}};
}

Json hourlyJson(const HourlyAggregate& hour) {
  Json latency = nullptr;
  if (hour.latencyRuns > 0) {
    latency = Json{{"min", milliseconds(hour.latencyMinUs)},
                   {"p50", milliseconds(hour.latencyQuantileUs(0.5).value_or(0))},
                   {"p95", milliseconds(hour.latencyQuantileUs(0.95).value_or(0))},
                   {"max", milliseconds(hour.latencyMaxUs)},
                   {"mean", milliseconds(hour.latencySumUs / hour.latencyRuns)}};
  }
  return Json{{"hour_start_unix_ms", hour.hourStartUnixMs},
              {"runs", hour.runs},
              {"failures", hour.failures},
              {"latency_ms", std::move(latency)}};
}

Json incidentJson(const JobIncident& job, int64_t nowUnixMs) {
  const Incident& i = job.incident;
  return Json{{"job_id", job.jobId},
              {"start_unix_ms", i.startUnixMs},
              {"end_unix_ms", i.open() ? Json(nullptr) : Json(i.endUnixMs)},
              {"open", i.open()},
              {"duration_ms", i.lastedMs(nowUnixMs)},
              {"first_message", i.firstMessage},
              {"last_message", i.lastMessage},
              {"failures", i.failures},
              {"notices", i.notices}};
}

Json uptimeJson(const Uptime& uptime) {
  std::optional<double> ratio = uptime.ratio();
  return Json{{"runs", uptime.runs}, {"failures", uptime.failures}, {"ratio", ratio ? Json(*ratio) : Json(nullptr)}};
}

}  // namespace checker
