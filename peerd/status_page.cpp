#include "peerd/status_page.h"

#include <ctime>

#include "peerd/text_escape.h"
#include "state/run_outcome.h"

namespace checker::peerd {
namespace {

constexpr const char* kStyle = R"(
:root{color-scheme:light}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2329;background:#f3f4f6}
header{padding:14px 24px;color:#fff}
header.ok{background:#1f7a3d}
header.problem{background:#b42318}
header h1{margin:0;font-size:22px}
header p{margin:2px 0 0}
main{padding:4px 24px 20px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:14px 0;padding:10px 16px}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef1;vertical-align:top}
th{white-space:nowrap;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:#5b6670}
tr.failing td{background:#fdecea}
tr.failing td:first-child{box-shadow:inset 4px 0 #b42318}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{background:#dcf3e3;color:#1f6b37}
.badge.failing{background:#b42318;color:#fff}
.badge.other{background:#e6e8eb;color:#4b5560}
.id{display:block;color:#6b7680;font:12px ui-monospace,"DejaVu Sans Mono",monospace}
.msg{font:12px ui-monospace,"DejaVu Sans Mono",monospace;white-space:pre-wrap;word-break:break-word}
.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#6b7680}
.bad{color:#b42318;font-weight:600}
footer{padding:0 24px 16px;color:#6b7680;font-size:12px}
)";

// "12 s", "5 min", "3 h", "2 d".
std::string span(int64_t ms) {
  int64_t s = ms < 0 ? 0 : ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " d";
}

// "2024-05-01 14:03:07 (3 min ago)", or "-".
std::string when(int64_t unixMs, int64_t nowMs) {
  if (unixMs <= 0) return "-";
  return htmlEscape(localTime(unixMs)) + " <span class=\"muted\">(" + span(nowMs - unixMs) + " ago)</span>";
}

std::string badge(const char* kind, const std::string& text) {
  return std::string("<span class=\"badge ") + kind + "\">" + htmlEscape(text) + "</span>";
}

std::string durationText(uint32_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

bool isFailing(const JobStatus& job) { return job.unreadable || job.health == ipc::Health::FAILING; }

void jobRow(std::string& out, const JobStatus& job, int64_t nowMs) {
  bool failing = isFailing(job);
  std::string state = job.unreadable ? "unreadable" : healthName(job.health);
  const char* kind = failing ? "failing" : job.health == ipc::Health::OK ? "ok" : "other";
  out += std::string("<tr class=\"job ") + kind + "\" data-job=\"" + htmlEscape(job.name) + "\">";
  out += "<td>" + htmlEscape(job.name) + "<span class=\"id\">" + htmlEscape(job.id) + "</span></td>";
  out += "<td>" + badge(kind, state) + "</td>";
  out += "<td>" + (failing ? when(job.firstFailureUnixMs, nowMs) : std::string("-")) + "</td>";
  out += "<td class=\"num\">" + std::to_string(job.consecutiveFailures) + "</td>";
  out += "<td>" + when(job.lastRunUnixMs, nowMs) + "</td>";
  out += "<td>" + (job.runs > 0 ? std::string(outcomeName(job.lastOutcome)) + " <span class=\"muted\">in " +
                                      durationText(job.lastDurationMs) + "</span>"
                                : std::string("-")) +
         "</td>";
  out += "<td class=\"msg\">" + htmlEscape(shortened(cleanUtf8(job.message), kMaxMessageBytes)) + "</td></tr>\n";
}

void jobsSection(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"jobs\"><h2>Jobs</h2>\n";
  if (s.jobs.empty() && s.notRunYet.empty()) {
    out += "<p class=\"muted\">No job has run yet.</p>";
  } else if (!s.jobs.empty()) {
    out += "<table><thead><tr><th>Job</th><th>State</th><th>Failing since</th><th class=\"num\">Failures in a row</th>"
           "<th>Last run</th><th>Outcome</th><th>Last message</th></tr></thead><tbody>\n";
    for (const JobStatus& job : s.jobs) {
      if (isFailing(job)) jobRow(out, job, s.nowUnixMs);
    }
    size_t shown = 0, hidden = 0;
    for (const JobStatus& job : s.jobs) {
      if (isFailing(job)) continue;
      if (shown == kMaxHealthyRows) {
        ++hidden;
        continue;
      }
      jobRow(out, job, s.nowUnixMs);
      ++shown;
    }
    out += "</tbody></table>\n";
    if (hidden > 0) {
      out += "<p class=\"muted\">" + std::to_string(hidden) +
             " more healthy jobs are not listed here; <code>checker status</code> lists every job.</p>\n";
    }
  }
  if (!s.notRunYet.empty()) {
    out += "<p class=\"muted\">Not run yet (" + std::to_string(s.notRunYet.size()) + "): ";
    for (size_t i = 0; i < s.notRunYet.size() && i < kMaxHealthyRows; ++i) {
      out += (i ? ", " : "") + htmlEscape(s.notRunYet[i]);
    }
    if (s.notRunYet.size() > kMaxHealthyRows) out += ", …";
    out += "</p>\n";
  }
  out += "</section>\n";
}

void mailSection(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"mail\"><h2>Email self-check</h2>\n<p>";
  if (s.noMail) {
    out += "<span class=\"muted\">nomail is set: alerts are logged, never sent, and the self-check does not run.</span>";
  } else if (!s.selfCheck) {
    out += badge("other", "not run yet");
  } else {
    out += (s.selfCheck->ok ? badge("ok", "ok") : badge("failing", "failed")) + " " +
           when(s.selfCheck->lastCheckUnixMs, s.nowUnixMs);
    if (!s.selfCheck->ok) out += "<br><span class=\"msg\">" + htmlEscape(s.selfCheck->message) + "</span>";
  }
  out += "</p>\n<p>Mail path: ";
  out += s.mail.problem ? "<span class=\"bad\">problem</span>: " + htmlEscape(s.mail.why) : std::string("healthy");
  out += "</p></section>\n";

  const OutboxSummary& o = s.outbox;
  out += "<section id=\"outbox\"><h2>Outbox</h2>\n<p>";
  if (o.pending == 0) {
    out += "Empty.";
  } else {
    out += "<span class=\"bad\">" + std::to_string(o.pending) + " pending</span>, the oldest " +
           span(s.nowUnixMs - o.oldestPendingUnixMs) + " old";
    if (!o.lastError.empty()) out += "; last error: <span class=\"msg\">" + htmlEscape(o.lastError) + "</span>";
  }
  out += "</p>\n";
  if (!o.refused.empty()) {
    out += "<p class=\"bad\">" + std::to_string(o.refused.size()) +
           " refused for good by the mail server (kept, never retried):</p>\n"
           "<table><thead><tr><th>Entry</th><th>To</th><th>Subject</th><th>Error</th></tr></thead><tbody>\n";
    for (const RefusedMail& r : o.refused) {
      out += "<tr class=\"failing\"><td class=\"num\">" + std::to_string(r.id) + "</td><td>" + htmlEscape(r.to) +
             "</td><td>" + htmlEscape(r.subject) + "</td><td class=\"msg\">" + htmlEscape(r.error) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

void peersSection(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"peers\"><h2>Peers</h2>\n";
  if (s.peers.empty()) {
    out += "<p class=\"muted\">No peers are configured.</p></section>\n";
    return;
  }
  out += "<table><thead><tr><th>Peer</th><th>Answer</th><th>Since</th><th>Asked</th><th>Detail</th></tr></thead>"
         "<tbody>\n";
  for (const PeerRow& p : s.peers) {
    bool healthy = p.asked && p.code == ipc::PeerStatus::HEALTHY;
    const char* kind = healthy ? "ok" : p.asked ? "failing" : "other";
    out += std::string("<tr class=\"peer ") + kind + "\" data-peer=\"" + htmlEscape(p.name) + "\"><td>" +
           htmlEscape(p.name) + "<span class=\"id\">" + htmlEscape(p.url) + "</span></td><td>" + badge(kind, p.status) +
           "</td><td>" + (healthy ? std::string("-") : when(p.sinceUnixMs, s.nowUnixMs)) + "</td><td>" +
           when(p.lastQueryUnixMs, s.nowUnixMs) + "</td><td class=\"msg\">" +
           htmlEscape(shortened(cleanUtf8(p.message), kMaxMessageBytes)) + "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

}  // namespace

std::string renderStatusPage(const StatusSnapshot& s) {
  size_t failing = 0;
  for (const JobStatus& job : s.jobs) failing += isFailing(job) ? 1 : 0;
  size_t total = s.jobs.size() + s.notRunYet.size();
  bool problem = failing > 0 || s.answer != "True" || s.mail.problem || !s.stateError.empty();
  std::string name = htmlEscape(s.serverName);
  std::string summary = failing > 0 ? std::to_string(failing) + " of " + std::to_string(total) + " jobs failing"
                                    : "all " + std::to_string(total) + " jobs ok";

  std::string out;
  out.reserve(8192 + s.jobs.size() * 600);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"refresh\" content=\"30\">\n<title>checker " +
         name + ": " + summary + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += std::string("<header class=\"") + (problem ? "problem" : "ok") + "\">\n<h1>" + name + "</h1>\n<p>" + summary +
         " &middot; peers are told <b id=\"answer\">" + htmlEscape(s.answer) + "</b>";
  if (s.mail.problem) out += " &middot; mail path broken";
  out += "</p>\n</header>\n<main>\n";
  if (!s.stateError.empty()) {
    out += "<section id=\"state-error\"><p class=\"bad\">The state could not be read: " + htmlEscape(s.stateError) +
           "</p></section>\n";
  }
  jobsSection(out, s);
  mailSection(out, s);
  peersSection(out, s);
  out += "</main>\n<footer>";
  out += "Page made " + htmlEscape(localTime(s.nowUnixMs));
  char zone[16] = {};
  time_t seconds = static_cast<time_t>(s.nowUnixMs / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  std::strftime(zone, sizeof zone, " %Z", &local);
  out += htmlEscape(zone);
  out += " by checker-peerd " CHECKER_VERSION " on " + name + ". Supervisor heartbeat: ";
  out += s.heartbeatAgeMs ? span(*s.heartbeatAgeMs) + " ago" : std::string("none yet");
  out += ". It reloads every 30 s.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace checker::peerd
