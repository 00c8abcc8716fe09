#include "state/run_history.h"

#include <capnp/message.h>

#include <optional>

#include "common/log.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/hourly_aggregate.h"
#include "state/incidents.h"
#include "state/state_keys.h"

namespace checker {
namespace {

// The job's oldest key in DB, or "" when it has none.
std::string oldestKey(const StateReader& txn, StateDb db, const std::string& prefix) {
  std::string oldest;
  txn.forEachWithPrefix(db, prefix, [&](std::string_view key, std::string_view) {
    oldest = key;
    return false;
  });
  return oldest;
}

void trimRuns(WriteTransaction& txn, std::string_view jobId, HistoryIndex& index, const HistoryRetention& keep,
              int64_t now) {
  const std::string prefix = state_keys::historyPrefix(jobId);
  const int64_t cutoff = now - static_cast<int64_t>(keep.days) * kDayMs;
  while (true) {
    std::string key = oldestKey(txn, StateDb::history, prefix);
    if (key.empty()) {
      index.runs = 0;  // whatever the index said: the job has none
      return;
    }
    if (index.runs <= keep.runs && state_keys::keyTimeMs(key) >= cutoff) return;
    txn.erase(StateDb::history, key);
    if (index.runs > 0) --index.runs;
  }
}

// Drops the job's hours that ended before cutoff.
void trimHourly(WriteTransaction& txn, std::string_view jobId, int64_t cutoff) {
  const std::string prefix = state_keys::historyPrefix(jobId);
  for (std::string key = oldestKey(txn, StateDb::hourly, prefix);
       !key.empty() && state_keys::keyTimeMs(key) + kHourMs <= cutoff; key = oldestKey(txn, StateDb::hourly, prefix)) {
    txn.erase(StateDb::hourly, key);
  }
}

// Drops the job's incidents that closed before cutoff, oldest first; stops
// at the first one kept (the open one, if any, is the newest).
void trimIncidents(WriteTransaction& txn, std::string_view jobId, int64_t cutoff) {
  const std::string prefix = state_keys::historyPrefix(jobId);
  for (std::string key = oldestKey(txn, StateDb::incidents, prefix);
       !key.empty() && state_keys::keyTimeMs(key) < cutoff; key = oldestKey(txn, StateDb::incidents, prefix)) {
    int64_t end = 0;
    try {
      end = decodeIncident(*txn.get(StateDb::incidents, key)).endUnixMs;
    } catch (const ipc::FrameError&) {
      end = 1;  // unreadable and started before the cutoff: dropped
    }
    if (end == 0 || end >= cutoff) return;
    txn.erase(StateDb::incidents, key);
  }
}

std::optional<Incident> readIncident(const StateReader& txn, std::string_view jobId, int64_t startUnixMs) {
  if (startUnixMs == 0) return std::nullopt;
  std::optional<std::string_view> value = txn.get(StateDb::incidents, state_keys::incidentKey(jobId, startUnixMs));
  if (!value) return std::nullopt;
  try {
    return decodeIncident(*value);
  } catch (const ipc::FrameError& e) {
    CHECKER_LOG_ERROR("state: job %.*s: unreadable open incident (%s); a new one starts",
                      static_cast<int>(jobId.size()), jobId.data(), e.what());
    return std::nullopt;
  }
}

void updateIncident(WriteTransaction& txn, const FinishedRun& run, HistoryIndex& index) {
  IncidentRun step;
  step.startedUnixMs = run.startedUnixMs;
  step.durationMs = run.durationMs;
  step.failed = run.outcome != ipc::Outcome::OK;
  step.message = run.message;
  step.noticeSent = !run.notices.empty();
  step.after = run.record.policy;
  IncidentUpdate update = advanceIncident(readIncident(txn, run.jobId, index.openIncidentUnixMs), step);
  for (const std::optional<Incident>* incident : {&update.closed, &update.open}) {
    if (*incident) {
      txn.put(StateDb::incidents, state_keys::incidentKey(run.jobId, (*incident)->startUnixMs),
              encodeIncident(**incident));
    }
  }
  index.openIncidentUnixMs = update.open ? update.open->startUnixMs : 0;
}

}  // namespace

HistoryIndex readHistoryIndex(const StateReader& txn, std::string_view jobId) {
  HistoryIndex index;
  if (std::optional<std::string_view> value = txn.get(StateDb::historyIndex, jobId)) {
    try {
      auto decoded = ipc::decode(*value);
      auto stored = decoded->root<ipc::HistoryIndex>();
      index.runs = stored.getRuns();
      index.openIncidentUnixMs = stored.getOpenIncidentUnixMs();
      return index;
    } catch (const ipc::FrameError& e) {
      CHECKER_LOG_ERROR("state: job %.*s: unreadable history index (%s); counting its history again",
                        static_cast<int>(jobId.size()), jobId.data(), e.what());
    }
  }
  txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(jobId), [&](std::string_view, std::string_view) {
    ++index.runs;
    return true;
  });
  return index;
}

void writeHistoryIndex(WriteTransaction& txn, std::string_view jobId, const HistoryIndex& index) {
  capnp::MallocMessageBuilder message;
  auto stored = message.initRoot<ipc::HistoryIndex>();
  stored.setRuns(index.runs);
  stored.setOpenIncidentUnixMs(index.openIncidentUnixMs);
  txn.put(StateDb::historyIndex, jobId, ipc::encode(message));
}

std::string encodeRunRecord(const FinishedRun& run) {
  capnp::MallocMessageBuilder message;
  auto h = message.initRoot<ipc::RunRecord>();
  h.setStartedUnixMs(run.startedUnixMs);
  h.setDurationMs(run.durationMs);
  h.setOutcome(run.outcome);
  h.setSignal(run.signal);
  h.setMessage(run.message);
  h.setNote(run.note);
  h.setLatencyUs(run.measured.latencyUs);
  auto list = h.initMeasurements(static_cast<unsigned>(run.measured.named.size()));
  for (unsigned i = 0; i < list.size(); ++i) {
    const RunMeasurement& m = run.measured.named[i];
    list[i].setName(m.name);
    list[i].setValue(m.value);
    list[i].setUnit(m.unit);
    list[i].setWarn(m.warn);
    list[i].setCrit(m.crit);
    list[i].setMin(m.min);
    list[i].setMax(m.max);
  }
  return ipc::encode(message);
}

void addToHourly(WriteTransaction& txn, std::string_view jobId, int64_t startedUnixMs, bool failed,
                 int64_t latencyUs, int64_t hourCutoffMs) {
  const int64_t hour = hourStartMs(startedUnixMs);
  if (hour + kHourMs <= hourCutoffMs) return;  // would be dropped at once
  const std::string key = state_keys::hourlyKey(jobId, hour);
  HourlyAggregate aggregate;
  if (std::optional<std::string_view> value = txn.get(StateDb::hourly, key)) {
    try {
      aggregate = decodeHourly(*value);
    } catch (const ipc::FrameError& e) {
      CHECKER_LOG_ERROR("state: job %.*s: unreadable aggregate of hour %s (%s); it starts afresh",
                        static_cast<int>(jobId.size()), jobId.data(), key.c_str() + jobId.size() + 1, e.what());
    }
  }
  aggregate.hourStartUnixMs = hour;
  aggregate.add(failed, latencyUs);
  txn.put(StateDb::hourly, key, encodeHourly(aggregate));
}

void recordRunHistory(WriteTransaction& txn, const FinishedRun& run, const HistoryRetention& retention,
                      int64_t nowUnixMs) {
  HistoryIndex index = readHistoryIndex(txn, run.jobId);
  const std::string key = state_keys::historyKey(run.jobId, run.startedUnixMs);
  const bool replaces = txn.get(StateDb::history, key).has_value();  // same start ms: one entry
  txn.put(StateDb::history, key, encodeRunRecord(run));
  if (!replaces) ++index.runs;
  trimRuns(txn, run.jobId, index, retention, nowUnixMs);
  const int64_t hourCutoff = nowUnixMs - static_cast<int64_t>(retention.hourDays) * kDayMs;
  addToHourly(txn, run.jobId, run.startedUnixMs, run.outcome != ipc::Outcome::OK, run.measured.latencyUs, hourCutoff);
  trimHourly(txn, run.jobId, hourCutoff);
  updateIncident(txn, run, index);
  trimIncidents(txn, run.jobId, hourCutoff);
  writeHistoryIndex(txn, run.jobId, index);
}

}  // namespace checker
