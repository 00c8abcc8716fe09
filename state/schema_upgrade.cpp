#include "state/schema_upgrade.h"

#include <map>
#include <string>
#include <vector>

#include "common/log.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/incidents.h"
#include "state/run_history.h"
#include "state/state_keys.h"

namespace checker {
namespace {

struct StoredRun {
  int64_t startedUnixMs;
  bool failed;
  int64_t latencyUs;
};

// Every job's raw runs (collected first: a put invalidates the scan's views).
std::map<std::string, std::vector<StoredRun>> readRuns(const StateReader& txn) {
  std::map<std::string, std::vector<StoredRun>> runs;
  txn.forEach(StateDb::history, [&](std::string_view key, std::string_view value) {
    std::string jobId(key.substr(0, key.find('\0')));
    try {
      auto decoded = ipc::decode(value);
      auto run = decoded->root<ipc::RunRecord>();
      runs[jobId].push_back({run.getStartedUnixMs(), run.getOutcome() != ipc::Outcome::OK, run.getLatencyUs()});
    } catch (const ipc::FrameError& e) {
      runs[jobId];  // still counted below as an entry; no aggregate
      CHECKER_LOG_ERROR("state: job %s: an unreadable history entry (%s) is left out of its aggregates",
                        jobId.c_str(), e.what());
    }
    return true;
  });
  return runs;
}

// The open incident of each job the policy holds failing, from its state.
std::map<std::string, Incident> openIncidents(const StateReader& txn) {
  std::map<std::string, Incident> open;
  txn.forEach(StateDb::jobs, [&](std::string_view key, std::string_view value) {
    try {
      auto decoded = ipc::decode(value);
      auto s = decoded->root<ipc::JobState>();
      if (s.getHealth() != ipc::Health::FAILING) return true;
      Incident incident;
      incident.startUnixMs = s.getFirstFailureUnixMs() != 0 ? s.getFirstFailureUnixMs() : s.getLastRunUnixMs();
      incident.firstMessage = incident.lastMessage = s.getLastMessage();
      incident.failures = s.getConsecutiveFailures();
      incident.notices = s.getNotifiedFailure() ? 1 : 0;  // at least one went out
      incident.lastFailureUnixMs = s.getLastRunUnixMs();
      if (incident.startUnixMs > 0) open.emplace(std::string(key), std::move(incident));
    } catch (const ipc::FrameError&) {
      // the supervisor logs it at load and starts the job afresh
    }
    return true;
  });
  return open;
}

void upgradeFrom1(WriteTransaction& txn) {
  std::map<std::string, std::vector<StoredRun>> runs = readRuns(txn);
  std::map<std::string, Incident> open = openIncidents(txn);
  for (const auto& [jobId, jobRuns] : runs) {
    for (const StoredRun& run : jobRuns) addToHourly(txn, jobId, run.startedUnixMs, run.failed, run.latencyUs, INT64_MIN);
  }
  for (const auto& [jobId, incident] : open) {
    txn.put(StateDb::incidents, state_keys::incidentKey(jobId, incident.startUnixMs), encodeIncident(incident));
  }
  for (const auto& [jobId, jobRuns] : runs) {
    HistoryIndex index = readHistoryIndex(txn, jobId);  // no index yet: counted
    auto it = open.find(jobId);
    if (it != open.end()) index.openIncidentUnixMs = it->second.startUnixMs;
    writeHistoryIndex(txn, jobId, index);
  }
  for (const auto& [jobId, incident] : open) {
    if (runs.count(jobId) == 0) writeHistoryIndex(txn, jobId, HistoryIndex{0, incident.startUnixMs});
  }
}

}  // namespace

void upgradeSchema(WriteTransaction& txn, uint32_t from) {
  if (from < 2) upgradeFrom1(txn);
}

}  // namespace checker
