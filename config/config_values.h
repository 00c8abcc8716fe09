#pragma once
// Typed values of settings.cfg: durations, sizes, booleans, schedules,
// notification modes, host:port. Each parser returns the value, or an Error
// that says what was expected (the caller adds file, line and key).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace checker {

using Milliseconds = std::chrono::milliseconds;

// Durations: a number with a unit: ms, s, m, h, d ("30s", "15m", "1h").
Result<Milliseconds> parseDuration(std::string_view text);
std::string formatDuration(Milliseconds duration);

// Sizes: a number with an optional unit K, M, G (powers of 1024); no unit = bytes.
Result<uint64_t> parseSize(std::string_view text);

// A positive decimal count within [min, max].
Result<uint64_t> parseCount(std::string_view text, uint64_t min, uint64_t max);

// configparser's booleans: 1/yes/true/on and 0/no/false/off, any case.
Result<bool> parseBool(std::string_view text);

// When a job runs: the original's four frequencies, or any interval.
struct Schedule {
  enum class Kind { minute, hour, day, dayNoon, interval };
  Kind kind = Kind::minute;
  Milliseconds interval{0};  // only for Kind::interval

  std::string text() const;  // as written in config: "minute", "30s", ...
  Milliseconds period() const;
  bool operator==(const Schedule&) const = default;
};
Result<Schedule> parseSchedule(std::string_view text);

// How often a failing job is re-notified (the original's
// JobFailureNotificationFrequency).
enum class NotifyMode { every, fiveMinutes, tenMinutes, hour, day, stateChange };
Result<NotifyMode> parseNotifyMode(std::string_view text);

// How a run of a built-in network job is carried out (docs/configuration.md,
// "isolation"): a sandboxed process of its own, or one probe among many in
// a long-lived sandboxed probe worker. exec and plugin jobs are always `run`.
enum class Isolation { run, batch };
Result<Isolation> parseIsolation(std::string_view text);
const char* isolationName(Isolation isolation);
const char* notifyModeName(NotifyMode mode);

struct HostPort {
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string text() const;  // "host:port" or "[v6]:port"
  bool operator==(const HostPort&) const = default;
};
// "host:port" or "[v6addr]:port"; the port must be 1-65535.
// PORT_ZERO_ALLOWED: for a listening address, where 0 asks for any free port.
Result<HostPort> parseHostPort(std::string_view text, bool portZeroAllowed = false);

// Splits a list on commas and newlines, trimming items and dropping empties.
std::vector<std::string> splitList(std::string_view text);

// An e-mail address good enough to hand to an SMTP server: local@domain,
// no spaces or angle brackets.
bool looksLikeEmailAddress(std::string_view text);

std::string_view trimView(std::string_view text);

}  // namespace checker
