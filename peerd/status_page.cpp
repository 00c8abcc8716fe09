#include "peerd/status_page.h"

#include <ctime>

#include "common/percent_encoding.h"
#include "peerd/page_parts.h"
#include "peerd/run_bar.h"
#include "peerd/state_source.h"
#include "peerd/text_escape.h"
#include "state/history_text.h"
#include "state/run_outcome.h"

namespace checker::peerd {
namespace {

bool isFailing(const JobStatus& job) { return job.unreadable || job.health == ipc::Health::FAILING; }

void jobRow(std::string& out, const JobStatus& job, const StatusSnapshot& s) {
  bool failing = isFailing(job);
  std::string state = job.unreadable ? "unreadable" : healthName(job.health);
  const char* kind = failing ? "failing" : job.health == ipc::Health::OK ? "ok" : "other";
  auto recent = s.recent.find(job.id);
  out += std::string("<tr class=\"job ") + kind + "\" data-job=\"" + htmlEscape(job.name) + "\">";
  out += "<td><a href=\"/job/" + percentEncode(job.id) + "\">" + htmlEscape(job.name) + "</a><span class=\"id\">" +
         htmlEscape(job.id) + "</span></td>";
  out += "<td>" + badge(kind, state);
  // What holds its notices, beside its state: a quiet failing job is not a surprise.
  if (job.hold != ipc::NoticeHold::NONE) {
    out += " <span class=\"held\" title=\"" + htmlEscape(job.holdReason) + "\">" + noticeHoldName(job.hold) + "</span>";
  }
  out += "</td>";
  auto uptimeCell = [&](const std::optional<Uptime>& uptime, const char* cls) {
    return std::string("<td class=\"") + cls + "\">" + (uptime ? uptimeText(*uptime) : std::string("-")) + "</td>";
  };
  bool known = recent != s.recent.end();
  out += uptimeCell(known ? std::optional<Uptime>(recent->second.day) : std::nullopt, "num");
  out += uptimeCell(known ? recent->second.week : std::nullopt, "num wide");
  out += uptimeCell(known ? recent->second.month : std::nullopt, "num wide");
  out += "<td>" + renderRunBar(recent != s.recent.end() ? recent->second.runs : std::vector<BarRun>{}, kRunsInTheBar) +
         "</td>";
  out += "<td class=\"wide\">" + (failing ? when(job.firstFailureUnixMs, s.nowUnixMs) : std::string("-")) + "</td>";
  out += "<td class=\"num wide\">" + std::to_string(job.consecutiveFailures) + "</td>";
  out += "<td class=\"wide\">" + when(job.lastRunUnixMs, s.nowUnixMs) + "</td>";
  out += "<td class=\"wide\">" + (job.runs > 0 ? std::string(outcomeName(job.lastOutcome)) + " <span class=\"muted\">in " +
                                      durationText(job.lastDurationMs) + "</span>"
                                : std::string("-")) +
         "</td>";
  out += "<td class=\"msg\">";
  if (job.hold != ipc::NoticeHold::NONE) {
    out += "<span class=\"muted\">notices held: " + htmlEscape(shortened(job.holdReason, kMaxMessageBytes)) + "</span> ";
  }
  out += htmlEscape(shortened(cleanUtf8(job.message), kMaxMessageBytes)) + "</td></tr>\n";
}

void jobsSection(std::string& out, const StatusSnapshot& s) {
  out += "<section id=\"jobs\"><h2>Jobs</h2>\n";
  if (s.jobs.empty() && s.notRunYet.empty()) {
    out += "<p class=\"muted\">No job has run yet.</p>";
  } else if (!s.jobs.empty()) {
    out += "<table><thead><tr><th>Job</th><th>State</th><th class=\"num\">Up 24 h</th><th class=\"num wide\">7 d</th>"
           "<th class=\"num wide\">30 d</th><th>Recent runs</th>"
           "<th class=\"wide\">Failing since</th><th class=\"num wide\">Failures in a row</th>"
           "<th class=\"wide\">Last run</th><th class=\"wide\">Outcome</th><th>Last message</th></tr></thead><tbody>\n";
    std::vector<bool> listed = listedOnPage(s.jobs);
    for (const JobStatus& job : s.jobs) {
      if (isFailing(job)) jobRow(out, job, s);
    }
    size_t hidden = 0;
    for (size_t i = 0; i < s.jobs.size(); ++i) {
      if (isFailing(s.jobs[i])) continue;
      if (listed[i]) jobRow(out, s.jobs[i], s);
      else ++hidden;
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

void channelsSection(std::string& out, const StatusSnapshot& s) {
  if (s.channels.empty()) return;
  out += "<section id=\"channels\"><h2>Channels</h2>\n<table><thead><tr><th>Channel</th><th>Type</th>"
         "<th>Last success</th><th>Pending</th><th>Last error</th></tr></thead><tbody>\n";
  for (const ChannelRow& c : s.channels) {
    bool bad = c.refused > 0 || c.lastErrorUnixMs > c.lastSuccessUnixMs;
    const char* kind = bad ? "failing" : c.lastSuccessUnixMs > 0 ? "ok" : "other";
    std::string pending = std::to_string(c.pending);
    if (c.pending > 0) pending += ", the oldest " + span(s.nowUnixMs - c.oldestPendingUnixMs) + " old";
    if (c.refused > 0) pending += "; " + std::to_string(c.refused) + " refused for good";
    out += std::string("<tr class=\"channel ") + kind + "\" data-channel=\"" + htmlEscape(c.name) + "\"><td>" +
           htmlEscape(c.name) + "</td><td>" + htmlEscape(c.type) + "</td><td>" + when(c.lastSuccessUnixMs, s.nowUnixMs) +
           "</td><td" + (c.pending > 0 || c.refused > 0 ? " class=\"bad\"" : "") + ">" + pending + "</td><td>" +
           (c.lastErrorUnixMs == 0 ? std::string("-")
                                   : when(c.lastErrorUnixMs, s.nowUnixMs) + "<br><span class=\"msg\">" +
                                         htmlEscape(shortened(cleanUtf8(c.lastError), kMaxMessageBytes)) + "</span>") +
           "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
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

std::vector<bool> listedOnPage(const std::vector<JobStatus>& jobs) {
  std::vector<bool> listed(jobs.size());
  size_t healthy = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    listed[i] = isFailing(jobs[i]) || healthy++ < kMaxHealthyRows;
  }
  return listed;
}

std::string renderStatusPage(const StatusSnapshot& s) {
  size_t failing = 0;
  for (const JobStatus& job : s.jobs) failing += isFailing(job) ? 1 : 0;
  size_t total = s.jobs.size() + s.notRunYet.size();
  bool problem = failing > 0 || s.answer != "True" || s.mail.problem || !s.stateError.empty();
  std::string name = htmlEscape(s.serverName);
  std::string summary = failing > 0 ? std::to_string(failing) + " of " + std::to_string(total) + " jobs failing"
                                    : "all " + std::to_string(total) + " jobs ok";

  std::string out;
  out.reserve(8192 + s.jobs.size() * 2000);
  out += pageHead("checker " + s.serverName + ": " + summary, 30);
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
  channelsSection(out, s);
  peersSection(out, s);
  out += pageFoot(s.serverName, s.nowUnixMs, s.heartbeatAgeMs);
  return out;
}

}  // namespace checker::peerd
