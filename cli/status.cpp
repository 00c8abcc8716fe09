// checker status -c FILE [--json]: every job's state, read-only from the
// LMDB state while checkerd runs (LMDB readers never block its writer).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "cli/commands.h"
#include "common/json_string.h"
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
#include "supervisor/state_view.h"
#include "supervisor/supervisor.h"

namespace checker::cli {
namespace {

struct Row {
  std::string id, name, state, lastRun, outcome, message;
  uint32_t failures = 0;
  int64_t lastRunUnixMs = 0;
  uint64_t runs = 0;
};

std::string localTime(int64_t unixMs) {
  if (unixMs == 0) return "-";
  time_t seconds = static_cast<time_t>(unixMs / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

Row rowFor(const JobDefinition& job, const StateReader* txn) {
  Row row{job.id(), job.name(), "never run", "-", "-", "", 0, 0, 0};
  if (job.system()) row.state = "not yet run";
  std::optional<JobStatus> s = txn ? readJobStatus(*txn, job.id()) : std::nullopt;
  if (!s) return row;
  if (s->unreadable) {
    row.state = "unreadable";
    row.message = s->message;
    return row;
  }
  row.state = healthName(s->health);
  row.failures = s->consecutiveFailures;
  row.lastRunUnixMs = s->lastRunUnixMs;
  row.lastRun = localTime(row.lastRunUnixMs);
  row.outcome = s->runs > 0 ? outcomeName(s->lastOutcome) : "-";
  row.message = s->message;
  row.runs = s->runs;
  return row;
}

void printTable(const std::vector<Row>& rows) {
  size_t idWidth = 2, nameWidth = 4;
  for (const Row& r : rows) {
    idWidth = std::max(idWidth, r.id.size());
    nameWidth = std::max(nameWidth, r.name.size());
  }
  std::printf("%-*s  %-*s  %-9s  %8s  %-19s  %-14s  %s\n", static_cast<int>(idWidth), "ID", static_cast<int>(nameWidth),
              "NAME", "STATE", "FAILURES", "LAST RUN", "LAST OUTCOME", "MESSAGE");
  for (const Row& r : rows) {
    std::printf("%-*s  %-*s  %-9s  %8u  %-19s  %-14s  %s\n", static_cast<int>(idWidth), r.id.c_str(),
                static_cast<int>(nameWidth), r.name.c_str(), r.state.c_str(), r.failures, r.lastRun.c_str(),
                r.outcome.c_str(), r.message.c_str());
  }
}

void printJson(const std::vector<Row>& rows, int64_t heartbeat, const std::string& outbox) {
  std::printf("{\"heartbeat_unix_ms\": %lld, \"outbox\": %s, \"jobs\": [", static_cast<long long>(heartbeat),
              outbox.c_str());
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::printf("%s\n  {\"id\": %s, \"name\": %s, \"state\": %s, \"consecutive_failures\": %u, "
                "\"last_run_unix_ms\": %lld, \"last_outcome\": %s, \"message\": %s, \"runs\": %llu}",
                i ? "," : "", jsonString(r.id).c_str(), jsonString(r.name).c_str(), jsonString(r.state).c_str(),
                r.failures, static_cast<long long>(r.lastRunUnixMs), jsonString(r.outcome).c_str(),
                jsonString(r.message).c_str(), static_cast<unsigned long long>(r.runs));
  }
  std::printf("\n]}\n");
}

std::string ageOf(int64_t sinceUnixMs) {
  int64_t seconds = (wallClockNowMs() - sinceUnixMs) / 1000;
  if (seconds < 120) return std::to_string(std::max<int64_t>(seconds, 0)) + " s";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds / 3600) + " h";
}

void printOutbox(const OutboxSummary& outbox, bool noMail) {
  if (noMail) std::printf("email: nomail is set: alerts are logged, never sent\n");
  if (outbox.pending == 0) {
    std::printf("outbox: empty\n");
  } else {
    std::printf("outbox: %zu pending, oldest %s old%s%s\n", outbox.pending, ageOf(outbox.oldestPendingUnixMs).c_str(),
                outbox.lastError.empty() ? "" : "; last error: ", outbox.lastError.c_str());
  }
  for (const RefusedMail& r : outbox.refused) {
    std::printf("outbox: entry %llu to %s REFUSED for good: %s (%s)\n", static_cast<unsigned long long>(r.id),
                r.to.c_str(), r.error.c_str(), r.subject.c_str());
  }
}

std::string outboxJson(const OutboxSummary& outbox, bool noMail) {
  std::string json = "{\"nomail\": " + std::string(noMail ? "true" : "false") +
                     ", \"pending\": " + std::to_string(outbox.pending) +
                     ", \"oldest_pending_unix_ms\": " + std::to_string(outbox.oldestPendingUnixMs) +
                     ", \"last_error\": " + jsonString(outbox.lastError) + ", \"refused\": [";
  for (size_t i = 0; i < outbox.refused.size(); ++i) {
    const RefusedMail& r = outbox.refused[i];
    json += std::string(i ? ", " : "") + "{\"id\": " + std::to_string(r.id) + ", \"to\": " + jsonString(r.to) +
            ", \"subject\": " + jsonString(r.subject) + ", \"error\": " + jsonString(r.error) + "}";
  }
  return json + "]}";
}

void printPeers(const std::vector<PeerRow>& peers) {
  if (peers.empty()) return;
  size_t nameWidth = 4;
  for (const PeerRow& p : peers) nameWidth = std::max(nameWidth, p.name.size());
  std::printf("%-*s  %-17s  %-19s  %-19s  %s\n", static_cast<int>(nameWidth), "PEER", "ANSWER", "ASKED",
              "FAILING SINCE", "DETAIL");
  for (const PeerRow& p : peers) {
    std::printf("%-*s  %-17s  %-19s  %-19s  %s (%s)\n", static_cast<int>(nameWidth), p.name.c_str(), p.status.c_str(),
                localTime(p.lastQueryUnixMs).c_str(), localTime(p.sinceUnixMs).c_str(), p.message.c_str(),
                p.url.c_str());
  }
}

std::string peersJson(const std::vector<PeerRow>& peers) {
  std::string json = "[";
  for (size_t i = 0; i < peers.size(); ++i) {
    const PeerRow& p = peers[i];
    json += std::string(i ? ", " : "") + "{\"name\": " + jsonString(p.name) + ", \"url\": " + jsonString(p.url) +
            ", \"status\": " + jsonString(p.status) + ", \"message\": " + jsonString(p.message) +
            ", \"last_query_unix_ms\": " + std::to_string(p.lastQueryUnixMs) +
            ", \"failing_since_unix_ms\": " + std::to_string(p.sinceUnixMs) + "}";
  }
  return json + "]";
}

// The last config reload checkerd tried (meta "reload"); unixMs 0: none.
struct ReloadRow {
  int64_t unixMs = 0;
  bool ok = true;
  std::string message;
};

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

int64_t readHeartbeat(const StateReader& txn) {
  std::optional<std::string_view> value = txn.get(StateDb::meta, state_keys::kHeartbeat);
  if (!value) return 0;
  try {
    return ipc::decode(*value)->root<ipc::Heartbeat>().getUnixMs();
  } catch (const ipc::FrameError&) {
    return 0;
  }
}

}  // namespace

int status(const CommonOptions& options) {
  bool json = std::find(options.rest.begin(), options.rest.end(), "--json") != options.rest.end();
  LoadedConfig loaded = loadConfiguration(options.configPath);
  if (loaded.ok()) describePluginJobs(loaded, defaultWorkerPath());
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  std::vector<Row> rows;
  int64_t heartbeat = 0;
  OutboxSummary outbox;
  MailHealth health;
  std::vector<PeerRow> peers;
  ReloadRow lastReload;
  try {
    StateStore store = StateStore::openReadOnly(loaded.config.general.stateDir);
    ReadTransaction txn = store.beginRead();
    for (const JobDefinition& job : loaded.jobs) rows.push_back(rowFor(job, &txn));
    heartbeat = readHeartbeat(txn);
    outbox = readOutbox(txn);
    health = mailHealth(readLastSelfCheck(txn), outbox.entries, wallClockNowMs());
    peers = readPeers(loaded.config, &txn);
    lastReload = readReload(txn);
  } catch (const StateError& e) {
    std::fprintf(stderr, "checker status: %s\n", e.what());
    for (const JobDefinition& job : loaded.jobs) rows.push_back(rowFor(job, nullptr));
    peers = readPeers(loaded.config, nullptr);
  }
  bool noMail = loaded.config.email.noMail;
  if (json) {
    printJson(rows, heartbeat,
              outboxJson(outbox, noMail) + ", \"mail_problem\": " + (health.problem ? "true" : "false") +
                  ", \"mail_problem_why\": " + jsonString(health.why) + ", \"peers\": " + peersJson(peers) +
                  ", \"last_reload\": {\"unix_ms\": " + std::to_string(lastReload.unixMs) +
                  ", \"ok\": " + (lastReload.ok ? "true" : "false") + ", \"message\": " +
                  jsonString(lastReload.message) + "}");
  } else {
    if (heartbeat > 0) std::printf("scheduler heartbeat: %s\n", localTime(heartbeat).c_str());
    if (!noMail) std::printf("mail: %s%s\n", health.problem ? "PROBLEM: " : "healthy", health.why.c_str());
    if (!lastReload.ok) {
      std::printf("config: the reload at %s was REFUSED (checkerd runs the config it had): %s\n",
                  localTime(lastReload.unixMs).c_str(), lastReload.message.c_str());
    }
    printOutbox(outbox, noMail);
    printPeers(peers);
    printTable(rows);
  }
  return kExitOk;
}

}  // namespace checker::cli
