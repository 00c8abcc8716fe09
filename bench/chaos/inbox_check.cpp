#include "bench/chaos/inbox_check.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <tuple>

namespace checker::bench {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// LF line ends, no trailing line ends.
std::string normalised(std::string text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// "2026-11-24 22:41:07 UTC" at TEXT's start, as unix seconds.
std::optional<int64_t> utcSeconds(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d UTC", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm));
}

std::string lineStarting(const std::string& body, const std::string& prefix) {
  for (size_t start = 0; start < body.size();) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    if (body.compare(start, prefix.size(), prefix) == 0) return body.substr(start + prefix.size(), end - start - prefix.size());
    start = end + 1;
  }
  return "";
}

// Fills the notice's job, kind, episode and count from its body (the job is
// named on its "Job:" line) and checks that the subject agrees; false when
// it is not a chaos job's notice.
bool parseNotice(InboxNotice& n, const std::string& serverName) {
  std::string job = lineStarting(n.body, "Job: ");
  size_t paren = job.find(" (");
  if (paren == std::string::npos) return false;
  n.jobName = job.substr(0, paren);
  std::string since = lineStarting(n.body, "Failing since: ");
  std::string from = lineStarting(n.body, "Was failing from ");
  std::string prefix = "[" + serverName + "] " + n.jobName;
  unsigned failures = 0;
  if (!since.empty()) {
    std::optional<int64_t> sec = utcSeconds(since);
    size_t open = since.find(" (");
    if (!sec || open == std::string::npos || std::sscanf(since.c_str() + open, " (%u failure(s) in a row)", &failures) != 1) {
      return false;
    }
    n.recovery = false;
    n.episodeSec = *sec;
    // The job's own subject (an exec job's: its message, as the original's
    // default onFailure), or checkerd's "NAME is failing: MESSAGE".
    std::string message = lineStarting(n.body, "Message: ");
    if (n.subject != "[" + serverName + "] " + message && n.subject != prefix + " is failing: " + message) return false;
  } else if (!from.empty()) {
    std::optional<int64_t> sec = utcSeconds(from);
    size_t open = from.find(" (");
    if (!sec || open == std::string::npos || std::sscanf(from.c_str() + open, " (%u failure(s))", &failures) != 1) {
      return false;
    }
    n.recovery = true;
    n.episodeSec = *sec;
    if (n.subject != prefix + " recovered") return false;
  } else {
    return false;
  }
  n.failures = failures;
  return true;
}

// A notice on one line, for the report.
std::string oneLine(const std::string& subject, const std::string& body) {
  std::string text = subject + " | " + body;
  for (char& c : text) c = c == '\n' ? '/' : c;
  return text;
}

std::string describe(const ExpectedNotice& e) {
  char text[256];
  std::snprintf(text, sizeof text, "%s %s: episode from %lld..%lld s, %u failure(s), run started %lld ms",
                e.jobName.c_str(), e.recovery ? "recovery" : "failure notice", static_cast<long long>(e.episodeFromSec),
                static_cast<long long>(e.episodeToSec), e.failures, static_cast<long long>(e.runStartedUnixMs));
  return text;
}

}  // namespace

std::string decodedBody(const std::string& raw) {
  size_t start = raw.find("\r\n\r\n");
  size_t skip = 4;
  if (start == std::string::npos) {
    start = raw.find("\n\n");
    skip = 2;
  }
  if (start == std::string::npos) return "";
  std::string qp = raw.substr(start + skip), out;
  for (size_t i = 0; i < qp.size(); ++i) {
    if (qp[i] != '=') {
      out += qp[i];
    } else if (i + 1 < qp.size() && (qp[i + 1] == '\r' || qp[i + 1] == '\n')) {  // soft line break
      i += (qp[i + 1] == '\r' && i + 2 < qp.size() && qp[i + 2] == '\n') ? 2 : 1;
    } else if (i + 2 < qp.size() && hexValue(qp[i + 1]) >= 0 && hexValue(qp[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(qp[i + 1]) * 16 + hexValue(qp[i + 2]));
      i += 2;
    } else {
      out += qp[i];
    }
  }
  return normalised(out);
}

InboxReport checkInbox(const std::string& recipient, const std::vector<test::MailMessage>& messages,
                       const std::vector<ExpectedNotice>& due, const std::set<SeenNotice>& seenInOutbox,
                       const std::string& serverName) {
  InboxReport report;
  report.recipient = recipient;
  report.messages = messages.size();
  std::map<std::pair<std::string, std::string>, InboxNotice> distinct;  // by subject and body
  for (const test::MailMessage& m : messages) {
    std::string body = decodedBody(m.raw);
    InboxNotice& n = distinct[{m.subject, body}];
    if (n.copies++ > 0) continue;
    n.subject = m.subject;
    n.body = body;
  }
  // By job, kind and count, in episode order: where each due notice is looked for.
  std::map<std::tuple<std::string, bool, uint32_t>, std::vector<InboxNotice*>> candidates;
  for (auto& [key, n] : distinct) {
    report.duplicateCopies += n.copies - 1;
    report.noticesDuplicated += n.copies > 1 ? 1 : 0;
    n.parsed = parseNotice(n, serverName);
    if (!n.parsed) {
      report.malformed += n.copies;
      continue;
    }
    candidates[{n.jobName, n.recovery, n.failures}].push_back(&n);
  }
  report.distinct = distinct.size();
  for (auto& [key, list] : candidates) {
    std::sort(list.begin(), list.end(), [](const InboxNotice* a, const InboxNotice* b) { return a->episodeSec < b->episodeSec; });
  }
  for (const ExpectedNotice& e : due) {
    ++report.due;
    InboxNotice* found = nullptr;
    auto group = candidates.find({e.jobName, e.recovery, e.failures});
    if (group != candidates.end()) {
      for (InboxNotice* n : group->second) {
        if (!n->matched && n->episodeSec >= e.episodeFromSec && n->episodeSec <= e.episodeToSec) {
          found = n;
          break;
        }
      }
    }
    if (found) {
      found->matched = true;
      ++report.delivered;
    } else {
      report.lost.push_back(describe(e));
    }
  }
  for (auto& [key, n] : distinct) {
    if (n.matched || !n.parsed) continue;
    ++report.unexpected;
    if (report.unexpectedExamples.size() < 5) report.unexpectedExamples.push_back(oneLine(n.subject, n.body));
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const SeenNotice& s : seenInOutbox) {
    if (std::find(s.to.begin(), s.to.end(), recipient) == s.to.end()) continue;
    ++report.seenInOutbox;
    auto key = std::make_pair(s.subject, normalised(s.body));
    seen.insert(key);
    if (distinct.count(key) > 0) {
      ++report.seenInOutboxDelivered;
    } else {
      report.seenInOutboxLost.push_back(oneLine(s.subject, s.body));
    }
  }
  for (const auto& [key, n] : distinct) report.duplicatedNotSeen += n.copies > 1 && seen.count(key) == 0 ? 1 : 0;
  return report;
}

}  // namespace checker::bench
