#pragma once
// Keys of the LMDB state (the layout is specified in ipc/state.capnp).
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace checker::state_keys {

inline constexpr std::string_view kSchemaVersion = "schema_version";
inline constexpr std::string_view kHeartbeat = "heartbeat";
// checkerd writes the heartbeat at least this often while its loop runs,
// so a reader can tell a running checkerd from a wedged one (checker
// status)...
inline constexpr int64_t kHeartbeatEveryMs = 15'000;
// ...and calls it stale past this age: several beats missed, not one late.
inline constexpr int64_t kHeartbeatStaleMs = 60'000;
inline constexpr std::string_view kSelfCheck = "selfcheck";
inline constexpr std::string_view kReload = "reload";  // meta: the last reload's result
// meta: the jobs checkerd runs now (ipc::RunningJobs), for `checker status`.
inline constexpr std::string_view kJobList = "job_list";

inline std::string hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, value);
  return text;
}

// history: job id, a NUL, then the run's start time as 16 hex digits, so a
// prefix scan of "id\0" yields one job's runs oldest first.
inline std::string historyPrefix(std::string_view jobId) {
  std::string key(jobId);
  key.push_back('\0');
  return key;
}
inline std::string historyKey(std::string_view jobId, int64_t startedUnixMs) {
  return historyPrefix(jobId) + hex16(static_cast<uint64_t>(startedUnixMs));
}

// hourly, incidents: job id, a NUL, then the hour's / the episode's start
// ms as 16 hex digits (the same prefix as history).
inline std::string hourlyKey(std::string_view jobId, int64_t hourStartUnixMs) {
  return historyKey(jobId, hourStartUnixMs);
}
inline std::string incidentKey(std::string_view jobId, int64_t startUnixMs) {
  return historyKey(jobId, startUnixMs);
}
// The time in a history, hourly or incident key: its last 16 hex digits.
inline int64_t keyTimeMs(std::string_view key) {
  uint64_t value = 0;
  if (key.size() < 16) return 0;
  for (char c : key.substr(key.size() - 16)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return static_cast<int64_t>(value);
}

// outbox: the entry id as 16 hex digits, so entries sort oldest first.
inline std::string outboxKey(uint64_t id) { return hex16(id); }

}  // namespace checker::state_keys
