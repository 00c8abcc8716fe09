#include "config/config_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace checker {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Splits "123abc" into 123 and "abc"; false when there is no leading number
// or it overflows.
bool splitNumber(std::string_view text, uint64_t& number, std::string_view& unit) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return false;
  unit = trimView(std::string_view(end, static_cast<size_t>(text.data() + text.size() - end)));
  return true;
}

}  // namespace

std::string_view trimView(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

Result<Milliseconds> parseDuration(std::string_view raw) {
  std::string_view text = trimView(raw);
  uint64_t number = 0;
  std::string_view unit;
  const std::string expected = "expected a duration such as 500ms, 30s, 15m, 2h or 1d";
  if (!splitNumber(text, number, unit)) return Error{expected + ", got '" + std::string(raw) + "'"};
  uint64_t scale = 0;
  std::string u = lower(unit);
  if (u == "ms") scale = 1;
  else if (u == "s") scale = 1000;
  else if (u == "m") scale = 60'000;
  else if (u == "h") scale = 3'600'000;
  else if (u == "d") scale = 86'400'000;
  else if (u.empty()) return Error{"missing unit in '" + std::string(raw) + "' (" + expected + ")"};
  else return Error{"unknown unit '" + std::string(unit) + "' (" + expected + ")"};
  if (number == 0) return Error{"duration must be greater than zero"};
  // Bound at ten years: larger values are typos and would overflow timers.
  if (number > 10ull * 365 * 86'400'000 / scale) return Error{"duration '" + std::string(raw) + "' is too long"};
  return Milliseconds(static_cast<int64_t>(number * scale));
}

std::string formatDuration(Milliseconds duration) {
  int64_t ms = duration.count();
  struct Unit { int64_t scale; const char* suffix; };
  for (Unit u : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}}) {
    if (ms >= u.scale && ms % u.scale == 0) return std::to_string(ms / u.scale) + u.suffix;
  }
  return std::to_string(ms) + "ms";
}

Result<uint64_t> parseSize(std::string_view raw) {
  uint64_t number = 0;
  std::string_view unit;
  if (!splitNumber(trimView(raw), number, unit))
    return Error{"expected a size such as 4096, 64K, 256M or 1G, got '" + std::string(raw) + "'"};
  std::string u = lower(unit);
  unsigned shift = 0;
  if (u.empty() || u == "b") shift = 0;
  else if (u == "k") shift = 10;
  else if (u == "m") shift = 20;
  else if (u == "g") shift = 30;
  else return Error{"unknown size unit '" + std::string(unit) + "' (use K, M or G)"};
  if (number == 0) return Error{"size must be greater than zero"};
  if (number > (std::numeric_limits<uint64_t>::max() >> shift)) return Error{"size '" + std::string(raw) + "' is too large"};
  return number << shift;
}

Result<uint64_t> parseCount(std::string_view raw, uint64_t min, uint64_t max) {
  std::string_view text = trimView(raw);
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return Error{"expected a whole number, got '" + std::string(raw) + "'"};
  if (number < min || number > max)
    return Error{"must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + std::string(text)};
  return number;
}

Result<bool> parseBool(std::string_view raw) {
  std::string t = lower(trimView(raw));
  if (t == "1" || t == "yes" || t == "true" || t == "on") return true;
  if (t == "0" || t == "no" || t == "false" || t == "off") return false;
  return Error{"expected yes/no, true/false, on/off or 1/0, got '" + std::string(raw) + "'"};
}

std::string Schedule::text() const {
  switch (kind) {
    case Kind::minute: return "minute";
    case Kind::hour: return "hour";
    case Kind::day: return "day";
    case Kind::dayNoon: return "day_noon";
    case Kind::interval: return formatDuration(interval);
  }
  return "?";
}

Milliseconds Schedule::period() const {
  switch (kind) {
    case Kind::minute: return Milliseconds(60'000);
    case Kind::hour: return Milliseconds(3'600'000);
    case Kind::day:
    case Kind::dayNoon: return Milliseconds(86'400'000);
    case Kind::interval: return interval;
  }
  return interval;
}

Result<Schedule> parseSchedule(std::string_view raw) {
  std::string t = lower(trimView(raw));
  if (t == "minute") return Schedule{Schedule::Kind::minute, {}};
  if (t == "hour") return Schedule{Schedule::Kind::hour, {}};
  if (t == "day") return Schedule{Schedule::Kind::day, {}};
  if (t == "day_noon") return Schedule{Schedule::Kind::dayNoon, {}};
  Result<Milliseconds> d = parseDuration(raw);
  if (!d)
    return Error{"unknown schedule '" + std::string(raw) + "': expected minute, hour, day, day_noon or an interval such as 30s or 15m"};
  Milliseconds interval = *d;
  if (interval < Milliseconds(1000)) return Error{"interval '" + std::string(raw) + "' is shorter than the minimum of 1s"};
  return Schedule{Schedule::Kind::interval, interval};
}

Result<NotifyMode> parseNotifyMode(std::string_view raw) {
  std::string t = lower(trimView(raw));
  if (t == "every") return NotifyMode::every;
  if (t == "5min") return NotifyMode::fiveMinutes;
  if (t == "10min") return NotifyMode::tenMinutes;
  if (t == "hour") return NotifyMode::hour;
  if (t == "day") return NotifyMode::day;
  if (t == "state_change") return NotifyMode::stateChange;
  return Error{"unknown notification mode '" + std::string(raw) + "': expected every, 5min, 10min, hour, day or state_change"};
}

const char* notifyModeName(NotifyMode mode) {
  switch (mode) {
    case NotifyMode::every: return "every";
    case NotifyMode::fiveMinutes: return "5min";
    case NotifyMode::tenMinutes: return "10min";
    case NotifyMode::hour: return "hour";
    case NotifyMode::day: return "day";
    case NotifyMode::stateChange: return "state_change";
  }
  return "?";
}

std::string HostPort::text() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<HostPort> parseHostPort(std::string_view raw, bool portZeroAllowed) {
  std::string_view text = trimView(raw);
  const std::string expected = "expected HOST:PORT (or [IPv6]:PORT), got '" + std::string(raw) + "'";
  std::string host;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return Error{expected};
    host = std::string(text.substr(1, close - 1));
    portText = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return Error{expected};
    host = std::string(text.substr(0, colon));
    portText = text.substr(colon + 1);
  }
  if (host.empty()) return Error{"missing host in '" + std::string(raw) + "'"};
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '[' || c == ']')
      return Error{"invalid host '" + host + "'"};
  }
  Result<uint64_t> port = parseCount(portText, portZeroAllowed ? 0 : 1, 65535);
  if (!port) return Error{"port in '" + std::string(raw) + "' " + port.error()};
  return HostPort{host, static_cast<uint16_t>(*port)};
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    size_t end = text.find_first_of(",\n");
    std::string_view item = trimView(text.substr(0, end));
    if (!item.empty()) items.emplace_back(item);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return items;
}

bool looksLikeEmailAddress(std::string_view text) {
  size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= text.size()) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '<' || c == '>' || c == ',' || c == '"') return false;
  }
  return true;
}

Result<Isolation> parseIsolation(std::string_view text) {
  if (text == "run") return Isolation::run;
  if (text == "batch") return Isolation::batch;
  return Error{"'" + std::string(text) + "' is not an isolation: run or batch"};
}

const char* isolationName(Isolation isolation) { return isolation == Isolation::batch ? "batch" : "run"; }

}  // namespace checker
