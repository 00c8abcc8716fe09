#include "cli/original_state.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "config/config_values.h"

namespace checker::cli {
namespace {

// Unix seconds up to the year 5000: beyond it, the number was not seconds.
constexpr double kLatestSeconds = 95'617'584'000.0;

std::vector<std::string_view> splitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    size_t bar = text.find('|', start);
    fields.push_back(text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (bar == std::string_view::npos) return fields;
    start = bar + 1;
  }
}

// Seconds as Python's str(float) or str(int) writes them, in milliseconds.
std::optional<int64_t> parseSeconds(std::string_view text) {
  std::string copy(text);
  if (copy.empty() || copy.find_first_not_of("0123456789.eE+-") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double seconds = std::strtod(copy.c_str(), &end);
  if (errno != 0 || end != copy.c_str() + copy.size() || !std::isfinite(seconds)) return std::nullopt;
  if (seconds < 0 || seconds > kLatestSeconds) return std::nullopt;
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

std::string quoted(std::string_view text) { return "'" + std::string(text.substr(0, 60)) + (text.size() > 60 ? "...'" : "'"); }

// "<class 'a.b.C'>" or "a.b.C": the class's dotted name; nullopt otherwise.
std::optional<std::string_view> pythonClass(std::string_view text) {
  constexpr std::string_view kOpen = "<class '", kClose = "'>";
  if (text.starts_with(kOpen) && text.ends_with(kClose) && text.size() > kOpen.size() + kClose.size()) {
    text = text.substr(kOpen.size(), text.size() - kOpen.size() - kClose.size());
  }
  if (text.empty() || text.front() == '.' || text.back() == '.') return std::nullopt;
  for (char c : text) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!word) return std::nullopt;
  }
  return text;
}

struct Candidate {
  bool byId;
  std::string value;
  std::string via;
};

std::vector<Candidate> candidatesFor(std::string_view name) {
  std::vector<Candidate> out{{false, std::string(name), "its name"}, {true, std::string(name), "its id"}};
  constexpr std::string_view kFor = " for ";
  size_t forAt = name.find(kFor);
  if (forAt != std::string_view::npos && pythonClass(name.substr(0, forAt))) {
    std::string_view rest = name.substr(forAt + kFor.size());
    size_t open = rest.rfind('(');
    if (rest.ends_with(")") && open != std::string_view::npos) {
      std::string_view inner = rest.substr(open + 1, rest.size() - open - 2);
      size_t colon = inner.rfind(':');
      if (colon != std::string_view::npos) {
        std::string host(inner.substr(0, colon));
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        Result<HostPort> hp = parseHostPort(host + std::string(inner.substr(colon)));
        if (hp) out.push_back({true, "tcp:" + hp->text(), "the original's TCP naming"});
      }
      out.push_back({false, std::string(rest.substr(0, open)), "the original's TCP naming"});
    }
    out.push_back({true, "http:" + std::string(rest), "the original's HTTP naming"});
    out.push_back({true, "peer:" + std::string(rest), "the original's peer naming"});
    out.push_back({false, std::string(rest), "the original's naming"});
  } else if (std::optional<std::string_view> cls = pythonClass(name)) {
    std::string_view last = cls->substr(cls->rfind('.') == std::string_view::npos ? 0 : cls->rfind('.') + 1);
    if (last == "EmailChecker") out.push_back({true, "system:email", "the original's EmailChecker"});
    out.push_back({false, std::string(last), "its class name"});
  }
  return out;
}

}  // namespace

OriginalLine parseOriginalLine(std::string_view text, int lineNumber) {
  OriginalLine result;
  text = trimView(text);
  if (text.empty()) return result;
  std::vector<std::string_view> fields = splitFields(text);
  if (fields.size() < 5 || fields.size() > 6) {
    result.error = "expected 5 or 6 fields separated by '|' (STATENAME|STATE|FIRSTFAILURETIME|LASTNOTIFYTIME|"
                   "FRIENDLYNAME[|NUMFAILURES]), found " + std::to_string(fields.size());
    return result;
  }
  OriginalEntry entry;
  entry.line = lineNumber;
  if (fields[1] == "Failing") {
    entry.failing = true;
  } else if (fields[1] != "Succeeding") {
    result.error = "state " + quoted(fields[1]) + " is neither Succeeding nor Failing";
    return result;
  }
  std::optional<int64_t> first = parseSeconds(fields[2]), notified = parseSeconds(fields[3]);
  if (!first || !notified) {
    result.error = std::string(!first ? "FirstFailureTime " : "LastNotifyTime ") + quoted(!first ? fields[2] : fields[3]) +
                   " is not unix seconds";
    return result;
  }
  entry.firstFailureUnixMs = *first;
  entry.lastNotifyUnixMs = *notified;
  if (entry.failing && entry.firstFailureUnixMs == 0) {
    result.error = "Failing, but FirstFailureTime is 0";
    return result;
  }
  entry.friendlyName = std::string(fields[4]);
  for (char& c : entry.friendlyName) {
    if (c == '#') c = '|';
  }
  if (trimView(entry.friendlyName).empty()) {
    result.error = "no friendly name";
    return result;
  }
  if (fields.size() == 6) {
    uint32_t failures = 0;
    auto [end, ec] = std::from_chars(fields[5].data(), fields[5].data() + fields[5].size(), failures);
    if (ec != std::errc() || end != fields[5].data() + fields[5].size()) {
      result.error = "NumFailures " + quoted(fields[5]) + " is not a count";
      return result;
    }
    entry.failures = failures;
  }
  result.entry = std::move(entry);
  return result;
}

JobMatch matchOriginalName(std::string_view friendlyName, const std::vector<JobDefinition>& jobs) {
  JobMatch match;
  for (const Candidate& candidate : candidatesFor(friendlyName)) {
    const JobDefinition* found = nullptr;
    size_t count = 0;
    for (const JobDefinition& job : jobs) {
      if ((candidate.byId ? job.id() : job.name()) != candidate.value) continue;
      if (++count == 1) found = &job;
    }
    if (count == 1) {
      match.job = found;
      match.via = candidate.via;
      return match;
    }
    if (count > 1 && match.ambiguity.empty()) {
      match.ambiguity = std::to_string(count) + " jobs are named '" + candidate.value + "'";
    }
  }
  return match;
}

PolicyState importedPolicy(const OriginalEntry& entry, const NotifySettings& notify) {
  PolicyState policy;
  if (!entry.failing) {
    policy.health = JobHealth::ok;
    return policy;
  }
  policy.health = JobHealth::failing;
  policy.firstFailureUnixMs = entry.firstFailureUnixMs;
  policy.lastNotifyUnixMs = entry.lastNotifyUnixMs;
  policy.notifiedFailure = entry.lastNotifyUnixMs > 0;
  if (entry.failures.value_or(0) > 0) {
    policy.consecutiveFailures = *entry.failures;
  } else {
    policy.consecutiveFailures = policy.notifiedFailure ? std::max<uint32_t>(notify.failuresBeforeNotify, 1) : 1;
  }
  return policy;
}

}  // namespace checker::cli
