// checker status -c FILE [--json]: every job's state, the mail health, the
// outbox and the peers, read-only from the LMDB state while checkerd runs
// (LMDB readers never block its writer). Exit codes: statusExitCode().
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "cli/commands.h"
#include "cli/status_report.h"
#include "common/state_keys.h"
#include "common/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "jobs/job_catalog.h"
#include "peerd/peer_client.h"
#include "supervisor/mail_health.h"
#include "supervisor/plugin_describe.h"
#include "supervisor/run_once.h"
#include "supervisor/run_outcome.h"
#include "supervisor/supervisor.h"

namespace checker::cli {
namespace {

const char* healthName(ipc::Health h) {
  switch (h) {
    case ipc::Health::OK: return "ok";
    case ipc::Health::FAILING: return "failing";
    default: return "never run";
  }
}

JobRow rowFor(const JobDefinition& job, const StateReader* txn) {
  JobRow row;
  row.id = job.id();
  row.name = job.name();
  row.type = job.type();
  row.system = job.system();
  if (job.system()) row.state = "not yet run";
  std::optional<std::string_view> value = txn ? txn->get(StateDb::jobs, job.id()) : std::nullopt;
  if (!value) return row;
  try {
    auto decoded = ipc::decode(*value);
    auto s = decoded->root<ipc::JobState>();
    row.state = healthName(s.getHealth());
    if (s.getHealth() == ipc::Health::NEVER_RUN && job.system()) row.state = "not yet run";
    row.failures = s.getConsecutiveFailures();
    row.successes = s.getConsecutiveSuccesses();
    row.lastRunUnixMs = s.getLastRunUnixMs();
    row.firstFailureUnixMs = s.getFirstFailureUnixMs();
    row.lastNotifyUnixMs = s.getLastNotifyUnixMs();
    row.notifiedFailure = s.getNotifiedFailure();
    row.outcome = s.getRuns() > 0 ? outcomeName(s.getLastOutcome()) : "-";
    row.message = s.getLastMessage();
    row.runs = s.getRuns();
  } catch (const ipc::FrameError& e) {
    row.state = "unreadable";
    row.message = e.what();
  }
  return row;
}

// The outbox as people need it: is mail waiting, since when, why; and what
// a server refused for good (kept in the state, never retried).
OutboxSummary readOutbox(const StateReader& txn, std::vector<OutboxStatus>& entries) {
  OutboxSummary summary;
  uint32_t mostAttempts = 0;
  txn.forEach(StateDb::outbox, [&](std::string_view, std::string_view value) {
    try {
      auto decoded = ipc::decode(value);
      auto entry = decoded->root<ipc::OutboxEntry>();
      entries.push_back({entry.getId(), entry.getAttempts(), entry.getCreatedUnixMs(), entry.getNextAttemptUnixMs(),
                         entry.getPermanentFailure()});
      if (entry.getPermanentFailure()) {
        summary.refused.push_back({entry.getId(), entry.getTo().size() > 0 ? std::string(entry.getTo()[0].cStr()) : "",
                                   entry.getSubject().cStr(), entry.getLastError().cStr()});
        return true;
      }
      ++summary.pending;
      if (summary.oldestPendingUnixMs == 0 || entry.getCreatedUnixMs() < summary.oldestPendingUnixMs) {
        summary.oldestPendingUnixMs = entry.getCreatedUnixMs();
      }
      if (entry.getAttempts() > 0 && entry.getAttempts() >= mostAttempts) {
        mostAttempts = entry.getAttempts();
        summary.lastError = entry.getLastError().cStr();
      }
    } catch (const ipc::FrameError&) {
      ++summary.pending;  // unreadable, but still there: counted
    }
    return true;
  });
  return summary;
}

// Each configured peer's last answer (the `peers` database).
std::vector<PeerRow> readPeers(const Config& config, const StateReader* txn) {
  std::vector<PeerRow> rows;
  for (const PeerSettings& peer : config.peers) {
    PeerRow row;
    row.name = peer.name;
    row.url = peer.url;
    std::optional<std::string_view> value = txn ? txn->get(StateDb::peers, peer.name) : std::nullopt;
    if (value) {
      try {
        auto decoded = ipc::decode(*value);
        auto state = decoded->root<ipc::PeerState>();
        if (state.getUrl() == peer.url) {  // else an older line of that name
          row.status = peerd::peerStatusName(state.getStatus());
          row.message = state.getMessage().cStr();
          row.lastQueryUnixMs = state.getLastQueryUnixMs();
          row.sinceUnixMs = state.getSinceUnixMs();
        }
      } catch (const ipc::FrameError& e) {
        row.status = "unreadable";
        row.message = e.what();
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

int64_t readHeartbeat(const StateReader& txn) {
  std::optional<std::string_view> value = txn.get(StateDb::meta, state_keys::kHeartbeat);
  if (!value) return 0;
  try {
    return ipc::decode(*value)->root<ipc::Heartbeat>().getUnixMs();
  } catch (const ipc::FrameError&) {
    return 0;
  }
}

ReloadRow readReload(const StateReader& txn) {
  std::optional<std::string_view> value = txn.get(StateDb::meta, state_keys::kReload);
  if (!value) return {};
  try {
    auto decoded = ipc::decode(*value);
    auto state = decoded->root<ipc::ReloadState>();
    return {state.getUnixMs(), state.getOk(), state.getMessage().cStr()};
  } catch (const ipc::FrameError& e) {
    return {1, false, std::string("unreadable reload state: ") + e.what()};
  }
}

StatusReport readReport(const LoadedConfig& loaded) {
  StatusReport report;
  report.serverName = loaded.config.general.serverName;
  report.noMail = loaded.config.email.noMail;
  try {
    StateStore store = StateStore::openReadOnly(loaded.config.general.stateDir);
    ReadTransaction txn = store.beginRead();
    for (const JobDefinition& job : loaded.jobs) report.jobs.push_back(rowFor(job, &txn));
    report.heartbeatUnixMs = readHeartbeat(txn);
    std::vector<OutboxStatus> entries;
    report.outbox = readOutbox(txn, entries);
    MailHealth health = mailHealth(readLastSelfCheck(txn), entries, wallClockNowMs());
    report.mailProblem = health.problem;
    report.mailProblemWhy = health.why;
    report.peers = cli::readPeers(loaded.config, &txn);
    report.lastReload = readReload(txn);
  } catch (const StateError& e) {
    report.stateError = e.what();
    report.stateMissing = e.code() == ENOENT;
    report.jobs.clear();
    for (const JobDefinition& job : loaded.jobs) report.jobs.push_back(rowFor(job, nullptr));
    report.peers = cli::readPeers(loaded.config, nullptr);
  }
  return report;
}

}  // namespace

int status(const CommonOptions& options) {
  bool json = false;
  for (const std::string& arg : options.rest) {
    if (arg == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "checker status: unexpected argument '%s' (see checker help status)\n", arg.c_str());
      return kExitUsage;
    }
  }
  LoadedConfig loaded = loadConfiguration(options.configPath);
  if (loaded.ok()) describePluginJobs(loaded, defaultWorkerPath());
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  StatusReport report = readReport(loaded);
  // The text shows it on its first line; JSON has it as "state_error".
  if (json && !report.stateError.empty()) std::fprintf(stderr, "checker status: %s\n", report.stateError.c_str());
  std::string text = json ? statusJson(report) : statusText(report, detectTerminal(STDOUT_FILENO), wallClockNowMs());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return statusExitCode(report);
}

}  // namespace checker::cli
