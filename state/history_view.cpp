#include "state/history_view.h"

#include <algorithm>

#include "ipc/framing.h"
#include "state/state_keys.h"

namespace checker {
namespace {

HistoryRun decodeRun(std::string_view key, std::string_view value) {
  HistoryRun run;
  run.startedUnixMs = state_keys::keyTimeMs(key);
  try {
    auto decoded = ipc::decode(value);
    auto r = decoded->root<ipc::RunRecord>();
    run.startedUnixMs = r.getStartedUnixMs();
    run.durationMs = r.getDurationMs();
    run.outcome = r.getOutcome();
    run.signal = r.getSignal();
    run.message = r.getMessage();
    run.note = r.getNote();
    run.measured.latencyUs = r.getLatencyUs();
    for (auto m : r.getMeasurements()) {
      run.measured.named.push_back({m.getName(), m.getValue(), m.getUnit(), m.getWarn(), m.getCrit(), m.getMin(),
                                    m.getMax()});
    }
  } catch (const ipc::FrameError& e) {
    run.unreadable = true;
    run.message = std::string("unreadable history entry: ") + e.what();
  }
  return run;
}

bool overlaps(const Incident& incident, int64_t since, int64_t until) {
  return incident.startUnixMs < until && (incident.open() || incident.endUnixMs > since);
}

void addIfOverlapping(std::string_view key, std::string_view value, int64_t since, int64_t until,
                      std::vector<JobIncident>& out) {
  try {
    Incident incident = decodeIncident(value);
    if (overlaps(incident, since, until)) out.push_back({std::string(key.substr(0, key.find('\0'))), std::move(incident)});
  } catch (const ipc::FrameError&) {
    // left out, as the header says
  }
}

// The incidents under PREFIX that overlap the range. A job's episodes do
// not overlap and are keyed by start, so of those that started before
// since only the latest can reach into the range: the others are skipped
// by key, undecoded (the views stay valid until the read ends).
void scanIncidents(const StateReader& txn, std::string_view prefix, int64_t since, int64_t until,
                   std::vector<JobIncident>& out) {
  std::string_view job, lastKey, lastValue;  // the job's latest incident started before since
  auto flush = [&] {
    if (!lastKey.empty()) addIfOverlapping(lastKey, lastValue, since, until, out);
    lastKey = {};
  };
  txn.forEachWithPrefix(StateDb::incidents, prefix, [&](std::string_view key, std::string_view value) {
    std::string_view keyJob = key.substr(0, key.find('\0'));
    if (keyJob != job) {
      flush();
      job = keyJob;
    }
    const int64_t start = state_keys::keyTimeMs(key);
    if (start < since) {
      lastKey = key;
      lastValue = value;
    } else {
      flush();
      if (start < until) addIfOverlapping(key, value, since, until, out);
    }
    return true;
  });
  flush();
}

}  // namespace

std::vector<HistoryRun> readRuns(const StateReader& txn, std::string_view jobId, int64_t since, int64_t until,
                                 size_t limit) {
  std::vector<HistoryRun> runs;
  if (since >= until || limit == 0) return runs;
  txn.forEachWithPrefixFrom(StateDb::history, state_keys::historyPrefix(jobId),
                            state_keys::historyKey(jobId, since < 0 ? 0 : since),
                            [&](std::string_view key, std::string_view value) {
                              if (state_keys::keyTimeMs(key) >= until) return false;
                              runs.push_back(decodeRun(key, value));
                              return runs.size() < limit;
                            });
  return runs;
}

std::vector<HistoryRun> readLatestRuns(const StateReader& txn, std::string_view jobId, size_t count) {
  std::vector<HistoryRun> runs;
  if (count == 0) return runs;
  txn.forEachWithPrefixBackward(StateDb::history, state_keys::historyPrefix(jobId),
                                [&](std::string_view key, std::string_view value) {
                                  runs.push_back(decodeRun(key, value));
                                  return runs.size() < count;
                                });
  std::reverse(runs.begin(), runs.end());
  return runs;
}

std::vector<HourlyAggregate> readHourly(const StateReader& txn, std::string_view jobId, int64_t since,
                                        int64_t until) {
  std::vector<HourlyAggregate> hours;
  if (since >= until) return hours;
  const int64_t first = hourStartMs(since);
  txn.forEachWithPrefixFrom(StateDb::hourly, state_keys::historyPrefix(jobId),
                            state_keys::hourlyKey(jobId, first < 0 ? 0 : first),
                            [&](std::string_view key, std::string_view value) {
                              if (state_keys::keyTimeMs(key) >= until) return false;
                              try {
                                hours.push_back(decodeHourly(value));
                              } catch (const ipc::FrameError&) {
                                // left out, as the header says
                              }
                              return true;
                            });
  return hours;
}

std::vector<JobIncident> readIncidents(const StateReader& txn, std::string_view jobId, int64_t since,
                                       int64_t until) {
  std::vector<JobIncident> incidents;
  scanIncidents(txn, state_keys::historyPrefix(jobId), since, until, incidents);
  return incidents;
}

std::vector<JobIncident> readAllIncidents(const StateReader& txn, int64_t since, int64_t until) {
  std::vector<JobIncident> incidents;
  scanIncidents(txn, {}, since, until, incidents);
  return incidents;
}

Uptime readUptime(const StateReader& txn, std::string_view jobId, int64_t since, int64_t until) {
  return readUptimes(txn, jobId, {since}, until).front();
}

std::vector<Uptime> readUptimes(const StateReader& txn, std::string_view jobId, const std::vector<int64_t>& sinces,
                                int64_t until) {
  std::vector<Uptime> uptimes(sinces.size());
  if (sinces.empty()) return uptimes;
  std::vector<int64_t> firstHours;
  for (int64_t since : sinces) firstHours.push_back(hourStartMs(since));
  int64_t first = *std::min_element(firstHours.begin(), firstHours.end());
  txn.forEachWithPrefixFrom(StateDb::hourly, state_keys::historyPrefix(jobId),
                            state_keys::hourlyKey(jobId, first < 0 ? 0 : first),
                            [&](std::string_view key, std::string_view value) {
                              int64_t hour = state_keys::keyTimeMs(key);
                              if (hour >= until) return false;
                              std::optional<HourCounts> counts = readHourCounts(value);
                              if (!counts) return true;  // left out, as for readHourly
                              for (size_t i = 0; i < uptimes.size(); ++i) {
                                if (hour < firstHours[i]) continue;
                                uptimes[i].runs += counts->runs;
                                uptimes[i].failures += std::min(counts->failures, counts->runs);
                              }
                              return true;
                            });
  return uptimes;
}

}  // namespace checker
