#pragma once
// What `checker status` reports, read from the state (cli/status.cpp) and
// written for people or scripts (cli/status_output.cpp). The JSON format is
// specified in docs/cli.md ("checker status --json"); its "schema" number
// changes only when a key is removed or changes meaning: keys are only added.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/terminal.h"
#include "state/channel_health.h"
#include "state/state_view.h"

namespace checker::cli {

inline constexpr int kStatusJsonSchema = 1;

// A plugin section's state before checkerd has described it into its jobs
// (status lists the config's jobs only when checkerd has not written its
// own list into the state yet): neither ok nor failing.
inline constexpr const char* kNotDescribed = "not described";

struct JobRow {
  std::string id, name, type;
  std::string state = "never run";  // "never run", "not yet run" (system jobs), "off" (a self-check
                                    // checkerd does not schedule), "ok", "failing", "unreadable",
                                    // kNotDescribed
  bool system = false;
  uint32_t failures = 0, successes = 0;
  int64_t lastRunUnixMs = 0, firstFailureUnixMs = 0, lastNotifyUnixMs = 0;
  std::string outcome = "-";  // of the last run: "ok", "failed", "timed_out", ...; "-" before the first
  std::string message;
  uint64_t runs = 0;
  bool notifiedFailure = false;
  // What holds its notices (state/notice_gate.h): "none", "quiet", "blocked", "flapping".
  std::string hold = "none";
  std::string holdReason = {};
  int64_t holdSinceUnixMs = 0;
  bool flapping = false;
};

// RefusedMail, OutboxSummary, ChannelRow and PeerRow are the state's own, as
// state/state_view.h reads them for peerd's status page too.

// The last config reload checkerd tried (meta "reload"); unixMs 0: none.
struct ReloadRow {
  int64_t unixMs = 0;
  bool ok = true;
  std::string message;
};

// Whether checkerd runs on this state, as `checker status` judges it from
// the writer lock (DIR/writer.lock) and the state's heartbeat.
inline constexpr const char* kDaemonRunning = "running";
inline constexpr const char* kDaemonStale = "stale";  // holds the lock, but its heartbeat is old
inline constexpr const char* kDaemonNotRunning = "not running";

struct StatusReport {
  std::string serverName;
  std::string daemon = kDaemonRunning;  // one of the kDaemon* above
  std::string daemonPid;                // the lock holder's pid as it wrote it, or ""
  std::string stateDir;
  std::string stateError;    // the state could not be read: why ("" when it was)
  bool stateMissing = false;  // ...because checkerd has not created it yet
  int64_t heartbeatUnixMs = 0;
  bool noMail = false;
  bool mailProblem = false;
  std::string mailProblemWhy;
  OutboxSummary outbox;
  std::vector<ChannelRow> channels;  // "email" and each [channel NAME]: their health
  std::vector<PeerRow> peers;
  std::vector<JobRow> jobs;
  ReloadRow lastReload;
};

// 3 (kExitDaemonDown) when checkerd is not running or its heartbeat is
// stale, whatever the rest says; else 0 when every job is ok or has not run
// yet and mail is healthy; 1 when a job (a peer check included) is failing
// or unreadable, mail has a problem, or the state could not be read.
int statusExitCode(const StatusReport& report);

// kDaemon*: not running unless LOCK_HELD; stale when HEARTBEAT_UNIX_MS
// (0: none) is older than state_keys::kHeartbeatStaleMs at NOW; running
// otherwise. HEARTBEAT_KNOWN false (the state could not be read): the lock
// alone decides.
const char* daemonState(bool lockHeld, bool heartbeatKnown, int64_t heartbeatUnixMs, int64_t nowUnixMs);

// The tables and lines for people, at NOW (for ages).
std::string statusText(const StatusReport& report, const TerminalOutput& out, int64_t nowUnixMs);
// One JSON document, ending in a newline.
std::string statusJson(const StatusReport& report);

// "4s ago", "12m ago", "3h ago", "2d ago"; "-" for 0.
std::string ageOf(int64_t unixMs, int64_t nowUnixMs);

}  // namespace checker::cli
