#include "jobs/builtin_jobs.h"

#include <charconv>
#include <utility>

namespace checker {

bool parseUnsigned(std::string_view text, uint64_t max, uint64_t& out) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) return false;
  out = value;
  return true;
}

JobMeasurement milliseconds(std::string name, std::chrono::microseconds duration) {
  JobMeasurement m;
  m.name = std::move(name);
  m.value = static_cast<double>(duration.count()) / 1000.0;
  m.unit = "ms";
  return m;
}

const std::string* BuiltinJob::required(std::string_view key) {
  const std::string* value = param(key);
  if (value == nullptr) fail("missing parameter '" + std::string(key) + "'");
  return value;
}

bool BuiltinJob::number(std::string_view key, uint64_t min, uint64_t max, uint64_t& out) {
  const std::string* text = required(key);
  if (text == nullptr) return false;
  if (!parseUnsigned(*text, max, out) || out < min) {
    return fail("parameter '" + std::string(key) + "' is '" + *text + "', expected a number from " +
                std::to_string(min) + " to " + std::to_string(max));
  }
  return true;
}

}  // namespace checker
