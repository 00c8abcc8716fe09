// checker status -c FILE [--json]: every job's state, the mail health, the
// outbox, each alert channel's health and the peers, read-only from the LMDB state while checkerd runs
// (LMDB readers never block its writer). Exit codes: statusExitCode().
// The jobs are those checkerd wrote into the state as the ones it runs, so
// status never runs plugin code to expand a plugin section; only before
// checkerd wrote that list does status list the config's own jobs.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "cli/commands.h"
#include "cli/status_report.h"
#include "common/clock.h"
#include "config/job_catalog.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/job_list.h"
#include "state/mail_health.h"
#include "state/run_outcome.h"
#include "state/state_keys.h"
#include "state/state_store.h"

namespace checker::cli {
namespace {

// One row to show: a job checkerd runs, or a plugin section of the config
// that checkerd has not described (expanded into its jobs) yet.
struct ListedRow {
  ListedJob job;
  bool undescribed = false;
};

std::vector<ListedRow> rowsOf(const std::vector<ListedJob>& jobs) {
  std::vector<ListedRow> rows;
  for (const ListedJob& job : jobs) rows.push_back({job, false});
  return rows;
}

// Before checkerd wrote its list: the config's jobs, a plugin section as
// itself (describing it would run the plugin's code).
std::vector<ListedRow> rowsOfConfig(const LoadedConfig& loaded) {
  std::vector<ListedRow> rows;
  for (const JobDefinition& job : loaded.jobs) rows.push_back({listedJob(job), isPluginJob(job)});
  return rows;
}

JobRow rowFor(const ListedRow& listed, const Config& config, const StateReader* txn) {
  const ListedJob& job = listed.job;
  JobRow row;
  row.id = job.id;
  row.name = job.name;
  row.type = job.type;
  row.system = job.system;
  if (listed.undescribed) {
    row.state = kNotDescribed;
    row.message = "plugin section, not yet described by checkerd";
    return row;
  }
  if (job.system) row.state = "not yet run";
  std::optional<JobStatus> s = txn ? readJobStatus(*txn, job.id) : std::nullopt;
  // A self-check checkerd does not schedule would say "not yet run" forever.
  if (std::string why = selfCheckOffReason(config.email); job.type == "email_selfcheck" && !why.empty()) {
    row.state = "off";
    row.message = "not scheduled: " + why;
    return row;
  }
  if (!s) return row;
  if (s->unreadable) {
    row.state = "unreadable";
    row.message = s->message;
    return row;
  }
  row.state = healthName(s->health);
  if (s->health == ipc::Health::NEVER_RUN && job.system) row.state = "not yet run";
  row.failures = s->consecutiveFailures;
  row.successes = s->consecutiveSuccesses;
  row.lastRunUnixMs = s->lastRunUnixMs;
  row.firstFailureUnixMs = s->firstFailureUnixMs;
  row.lastNotifyUnixMs = s->lastNotifyUnixMs;
  row.notifiedFailure = s->notifiedFailure;
  row.outcome = s->runs > 0 ? outcomeName(s->lastOutcome) : "-";
  row.message = s->message;
  row.runs = s->runs;
  row.hold = noticeHoldName(s->hold);
  row.holdReason = s->holdReason;
  row.holdSinceUnixMs = s->holdSinceUnixMs;
  row.flapping = s->flapping;
  return row;
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

// Who holds the writer lock, before the state is read: a checkerd that
// stops in between is then seen by its lock, not judged by its heartbeat.
StateStore::WriterProbe probeWriter(const std::string& stateDir) {
  try {
    return StateStore::probeWriter(stateDir);
  } catch (const StateError&) {
    // Cannot tell (e.g. no permission): reading the state fails the same
    // way and says why; the heartbeat decides if it can be read.
    return {true, ""};
  }
}

StatusReport readReport(const LoadedConfig& loaded) {
  StatusReport report;
  report.serverName = loaded.config.general.serverName;
  report.noMail = loaded.config.email.noMail;
  report.stateDir = loaded.config.general.stateDir;
  StateStore::WriterProbe writer = probeWriter(report.stateDir);
  report.daemonPid = writer.pid;
  bool heartbeatKnown = false;
  try {
    StateStore store = StateStore::openReadOnly(loaded.config.general.stateDir);
    ReadTransaction txn = store.beginRead();
    Result<std::optional<std::vector<ListedJob>>> running = readJobList(txn);
    if (!running) report.stateError = running.error();
    std::vector<ListedRow> rows = running && *running ? rowsOf(**running) : rowsOfConfig(loaded);
    for (const ListedRow& row : rows) report.jobs.push_back(rowFor(row, loaded.config, &txn));
    report.heartbeatUnixMs = readHeartbeat(txn);
    report.outbox = readOutbox(txn);
    MailHealth health = mailHealth(readLastSelfCheck(txn), report.outbox.entries, wallClockNowMs());
    report.mailProblem = health.problem;
    report.mailProblemWhy = health.why;
    report.channels = readChannels(loaded.config, &txn, report.outbox.entries);
    report.peers = readPeers(loaded.config, &txn);
    report.lastReload = readReload(txn);
    heartbeatKnown = true;
  } catch (const StateError& e) {
    report.stateError = e.what();
    report.stateMissing = e.code() == ENOENT;
    report.jobs.clear();
    for (const ListedRow& row : rowsOfConfig(loaded)) report.jobs.push_back(rowFor(row, loaded.config, nullptr));
    report.channels = readChannels(loaded.config, nullptr, {});
    report.peers = readPeers(loaded.config, nullptr);
  }
  report.daemon = daemonState(writer.held, heartbeatKnown, report.heartbeatUnixMs, wallClockNowMs());
  return report;
}

}  // namespace

const char* daemonState(bool lockHeld, bool heartbeatKnown, int64_t heartbeatUnixMs, int64_t nowUnixMs) {
  if (!lockHeld) return kDaemonNotRunning;
  if (!heartbeatKnown) return kDaemonRunning;
  // A heartbeat in the future (the clock was stepped back) counts as fresh.
  if (heartbeatUnixMs == 0 || nowUnixMs - heartbeatUnixMs > state_keys::kHeartbeatStaleMs) return kDaemonStale;
  return kDaemonRunning;
}

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
  // The config gives the state's place, the email and the peers; the jobs
  // come from the state (readReport).
  LoadedConfig loaded = loadConfiguration(options.configPath);
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
