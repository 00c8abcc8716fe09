#pragma once
// The state as people and machines read it: each job's stored state, the
// outbox and the peers' last answers, decoded from a read transaction into
// plain values. `checker status` and peerd's status page and /metrics read
// the state through these (read-only, while checkerd writes), so the three
// agree. The email self-check is state/mail_health.h's
// readLastSelfCheck. A record that cannot be decoded is reported as
// unreadable, never thrown: one bad value must not hide the rest.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "ipc/state.capnp.h"
#include "state/job_list.h"
#include "state/state_store.h"
#include "state/state_writer.h"

namespace checker {

// One job's JobState (the `jobs` database).
struct JobStatus {
  std::string id, name, type;
  bool unreadable = false;  // the stored value could not be decoded; message says why
  ipc::Health health = ipc::Health::NEVER_RUN;
  uint32_t consecutiveFailures = 0;
  uint32_t consecutiveSuccesses = 0;  // while still failing
  int64_t firstFailureUnixMs = 0;  // 0 when not failing
  int64_t lastNotifyUnixMs = 0;
  bool notifiedFailure = false;
  int64_t lastRunUnixMs = 0;
  ipc::Outcome lastOutcome = ipc::Outcome::OK;  // meaningful when runs > 0
  std::string message;                          // the last run's
  uint32_t lastDurationMs = 0;
  int64_t lastLatencyUs = -1;  // the last run's probe latency; -1: it measured none
  uint64_t runs = 0;
  uint64_t overruns = 0;
  // What holds its notices (state/notice_gate.h): quiet, blocked, flapping.
  ipc::NoticeHold hold = ipc::NoticeHold::NONE;
  std::string holdReason = {};
  int64_t holdSinceUnixMs = 0;
  bool flapping = false;
};

// "none", "quiet", "blocked", "flapping".
const char* noticeHoldName(ipc::NoticeHold hold);

// "ok", "failing", "never run".
const char* healthName(ipc::Health health);

// "2026-11-24 21:40:07" in local time, as `checker status` and peerd's page
// show times; "-" for 0 (never).
std::string localTime(int64_t unixMs);

// The JobState VALUE stored under ID.
JobStatus decodeJobStatus(std::string_view id, std::string_view value);
// Job ID's stored state; nullopt when it has none (never ran).
std::optional<JobStatus> readJobStatus(const StateReader& txn, std::string_view id);
// Every job in the `jobs` database, in key order. Jobs a reload removed
// keep their record there (a job added back carries on from it), so a
// caller that shows "the jobs" filters by the jobs checkerd runs now.
std::vector<JobStatus> readAllJobStatus(const StateReader& txn);

// The jobs checkerd runs (meta "job_list"), in its order; nullopt when it
// has written none (it has not run since the list was added to the state);
// an Error naming why when the stored list cannot be decoded.
Result<std::optional<std::vector<ListedJob>>> readJobList(const StateReader& txn);

// The outbox as people need it: is mail waiting, since when, why; and what
// a server refused for good (kept in the state, never retried).
struct RefusedMail {
  uint64_t id = 0;
  std::string to, subject, error;
};
struct OutboxSummary {
  std::vector<OutboxStatus> entries;  // for the mail health
  size_t pending = 0;
  int64_t oldestPendingUnixMs = 0;  // 0 when nothing is pending
  std::string lastError;  // of the pending entry tried most recently
  std::vector<RefusedMail> refused;
};
OutboxSummary readOutbox(const StateReader& txn);

// Each configured peer's last answer (the `peers` database).
struct PeerRow {
  std::string name, url, status = "not asked yet", message;  // status: peerStatusName, or why not
  int64_t lastQueryUnixMs = 0, sinceUnixMs = 0;
  bool asked = false;  // code holds its last answer
  ipc::PeerStatus code = ipc::PeerStatus::UNKNOWN;
};
// CONFIG's peers in file order. TXN may be null (no state yet): every peer
// "not asked yet". A record for another URL under the same name (an older
// line) is not this peer's.
std::vector<PeerRow> readPeers(const Config& config, const StateReader* txn);

// "healthy", "MailProblem", "no answer", ... for people and --json.
const char* peerStatusName(ipc::PeerStatus status);

}  // namespace checker
