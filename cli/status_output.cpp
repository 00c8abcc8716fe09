// `checker status` written out: tables for people, JSON for scripts.
#include <algorithm>
#include <ctime>

#include "cli/commands.h"
#include "cli/status_report.h"
#include "cli/table.h"
#include "common/json_text.h"
#include "state/state_keys.h"

namespace checker::cli {
namespace {

bool failing(const JobRow& job) { return job.state == "failing" || job.state == "unreadable"; }
bool neverRun(const JobRow& job) { return job.runs == 0 && (job.state == "never run" || job.state == "not yet run"); }
// Rows with nothing to show yet: dimmed, their counts "-".
bool undescribed(const JobRow& job) { return job.state == kNotDescribed; }
bool quiet(const JobRow& job) { return neverRun(job) || job.state == "off" || undescribed(job); }

Style jobStyle(const JobRow& job) {
  if (failing(job)) return Style::bad;
  if (job.state == "ok") return Style::good;
  return Style::dim;
}

bool held(const JobRow& job) { return job.hold != "none"; }

// The message, after the outcome when that says more than failed/ok; and
// what holds the job's notices, first, for that is what the operator must know.
std::string jobMessage(const JobRow& job) {
  std::string message = job.outcome == "-" || job.outcome == "ok" || job.outcome == "failed"
                            ? job.message
                            : job.outcome + (job.message.empty() ? "" : ": " + job.message);
  if (!held(job)) return message;
  return "[notices held: " + job.holdReason + "] " + message;
}

// The state, and what holds its notices: "failing, quiet".
std::string jobState(const JobRow& job) { return held(job) ? job.state + ", " + job.hold : job.state; }

std::string jobsTable(const StatusReport& report, const TerminalOutput& out, int64_t now) {
  Table table({{"JOB"}, {"STATE"}, {"FAILS", true}, {"LAST RUN"}, {"FAILING SINCE"}, {"MESSAGE"}});
  for (const JobRow& job : report.jobs) {
    Style style = jobStyle(job);
    table.add({{job.name, quiet(job) ? Style::dim : Style::plain},
               {jobState(job), style},
               {quiet(job) ? "-" : std::to_string(job.failures), job.failures > 0 ? Style::bad : Style::plain},
               {ageOf(job.lastRunUnixMs, now)},
               {localTime(job.firstFailureUnixMs)},
               {jobMessage(job)}});
  }
  return table.render(out);
}

std::string peersTable(const StatusReport& report, const TerminalOutput& out, int64_t now) {
  Table table({{"PEER"}, {"ANSWER"}, {"ASKED"}, {"FAILING SINCE"}, {"DETAIL"}});
  for (const PeerRow& p : report.peers) {
    Style style = p.status == "healthy" ? Style::good : p.status == "not asked yet" ? Style::dim : Style::bad;
    table.add({{p.name},
               {p.status, style},
               {ageOf(p.lastQueryUnixMs, now)},
               {localTime(p.sinceUnixMs)},
               {(p.message.empty() ? "" : p.message + " ") + "(" + p.url + ")"}});
  }
  return table.render(out);
}

// Each channel: never its URL or secret, which the state does not hold.
std::string channelsTable(const StatusReport& report, const TerminalOutput& out, int64_t now) {
  Table table({{"CHANNEL"}, {"TYPE"}, {"LAST SUCCESS"}, {"PENDING"}, {"LAST ERROR"}});
  for (const ChannelRow& c : report.channels) {
    std::string pending = std::to_string(c.pending);
    if (c.pending > 0) pending += " (oldest " + ageOf(c.oldestPendingUnixMs, now) + ")";
    if (c.refused > 0) pending += ", " + std::to_string(c.refused) + " refused";
    std::string error = c.lastErrorUnixMs == 0 ? "-" : ageOf(c.lastErrorUnixMs, now) + ": " + oneLine(c.lastError);
    // Red while the latest result is an error, or something was refused for good.
    bool bad = c.refused > 0 || c.lastErrorUnixMs > c.lastSuccessUnixMs;
    table.add({{c.name},
               {c.type},
               {ageOf(c.lastSuccessUnixMs, now), c.lastSuccessUnixMs > 0 ? Style::good : Style::dim},
               {pending, c.pending > 0 || c.refused > 0 ? Style::bad : Style::plain},
               {error, bad ? Style::bad : Style::dim}});
  }
  return table.render(out);
}

std::string outboxLines(const StatusReport& report, const TerminalOutput& out, int64_t now) {
  const OutboxSummary& outbox = report.outbox;
  std::string text;
  if (outbox.pending == 0) {
    text += "outbox: empty\n";
  } else {
    text += "outbox: " + std::to_string(outbox.pending) + " pending, the oldest queued " +
            ageOf(outbox.oldestPendingUnixMs, now) +
            (outbox.lastError.empty() ? "" : "; last error: " + oneLine(outbox.lastError)) + "\n";
  }
  for (const RefusedMail& r : outbox.refused) {
    text += "outbox: entry " + std::to_string(r.id) + " to " + r.to + " " + paint("REFUSED for good", Style::bad, out.colour) +
            ": " + oneLine(r.error) + " (" + oneLine(r.subject) + ")\n";
  }
  return text;
}

// The first line: whether checkerd runs, for without it nothing below moves.
std::string daemonLine(const StatusReport& report, const TerminalOutput& out, int64_t now) {
  std::string pid = report.daemonPid.empty() ? "" : " (pid " + report.daemonPid + ")";
  if (report.daemon == kDaemonRunning) return "checkerd: running" + pid + "\n";
  std::string line;
  if (report.daemon == kDaemonStale) {
    line = "checkerd: NOT RESPONDING: a process" + pid + " has the state open, but its heartbeat is " +
           (report.heartbeatUnixMs > 0 ? ageOf(report.heartbeatUnixMs, now) : std::string("missing")) +
           " (stale after " + std::to_string(state_keys::kHeartbeatStaleMs / 1000) + "s); what follows may be old";
  } else {
    line = "checkerd: NOT RUNNING: nothing has the state at " + report.stateDir +
           " open; what follows is as it was left";
  }
  return paint(line, Style::bad, out.colour) + "\n";
}

std::string summary(const StatusReport& report, const TerminalOutput& out) {
  std::vector<std::string> names;
  size_t notRun = 0, off = 0, plugins = 0, holding = 0;
  for (const JobRow& job : report.jobs) {
    if (held(job)) ++holding;
    if (failing(job)) names.push_back(job.name);
    if (neverRun(job)) ++notRun;
    if (job.state == "off") ++off;
    if (undescribed(job)) ++plugins;
  }
  std::string total = std::to_string(report.jobs.size());
  if (names.empty()) {
    std::string line = std::string(report.daemon == kDaemonRunning ? "" : "checkerd is " + report.daemon + "; ") +
                       "no job failing: " + std::to_string(report.jobs.size() - notRun - off - plugins) + " ok" +
                       (notRun ? ", " + std::to_string(notRun) + " not run yet" : "") +
                       (off ? ", " + std::to_string(off) + " off" : "") +
                       (plugins ? ", " + std::to_string(plugins) + " plugin section(s) not described yet" : "") +
                       (holding ? "; notices held for " + std::to_string(holding) : "");
    return paint(line, Style::good, out.colour) + "\n";
  }
  std::string list;
  for (size_t i = 0; i < names.size() && i < 5; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > 5) list += ", ...";
  return paint(std::to_string(names.size()) + " of " + total + " job(s) failing: " + list +
                   (holding ? "; notices held for " + std::to_string(holding) : ""),
               Style::bad, out.colour) +
         "\n";
}

Json jobJson(const JobRow& r) {
  // The first eight keys in this order: scripts and tests match on them.
  return Json{{"id", r.id},
              {"name", r.name},
              {"state", r.state},
              {"consecutive_failures", r.failures},
              {"last_run_unix_ms", r.lastRunUnixMs},
              {"last_outcome", r.outcome},
              {"message", r.message},
              {"runs", r.runs},
              {"type", r.type},
              {"system", r.system},
              {"first_failure_unix_ms", r.firstFailureUnixMs},
              {"last_notify_unix_ms", r.lastNotifyUnixMs},
              {"notified_failure", r.notifiedFailure},
              {"consecutive_successes", r.successes},
              {"notices_held", r.hold == "none" ? Json(nullptr)
                                                : Json{{"by", r.hold},
                                                       {"reason", r.holdReason},
                                                       {"since_unix_ms", r.holdSinceUnixMs}}},
              {"flapping", r.flapping}};
}

Json outboxJson(const StatusReport& report) {
  const OutboxSummary& outbox = report.outbox;
  Json refused = Json::array();
  for (const RefusedMail& r : outbox.refused) {
    refused.push_back(Json{{"id", r.id}, {"to", r.to}, {"subject", r.subject}, {"error", r.error}});
  }
  return Json{{"nomail", report.noMail},
              {"pending", outbox.pending},
              {"oldest_pending_unix_ms", outbox.oldestPendingUnixMs},
              {"last_error", outbox.lastError},
              {"refused", std::move(refused)}};
}

Json channelsJson(const StatusReport& report) {
  Json channels = Json::array();
  for (const ChannelRow& c : report.channels) {
    channels.push_back(Json{{"name", c.name},
                            {"type", c.type},
                            {"last_success_unix_ms", c.lastSuccessUnixMs},
                            {"last_success_reply", c.lastSuccessReply},
                            {"pending", c.pending},
                            {"oldest_pending_unix_ms", c.oldestPendingUnixMs},
                            {"refused", c.refused},
                            {"last_error_unix_ms", c.lastErrorUnixMs},
                            {"last_error", c.lastError}});
  }
  return channels;
}

Json peersJson(const StatusReport& report) {
  Json peers = Json::array();
  for (const PeerRow& p : report.peers) {
    peers.push_back(Json{{"name", p.name},
                         {"url", p.url},
                         {"status", p.status},
                         {"message", p.message},
                         {"last_query_unix_ms", p.lastQueryUnixMs},
                         {"failing_since_unix_ms", p.sinceUnixMs}});
  }
  return peers;
}

}  // namespace

std::string ageOf(int64_t unixMs, int64_t nowUnixMs) {
  if (unixMs == 0) return "-";
  int64_t seconds = std::max<int64_t>(nowUnixMs - unixMs, 0) / 1000;
  if (seconds < 120) return std::to_string(seconds) + "s ago";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m ago";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + "h ago";
  return std::to_string(seconds / 86400) + "d ago";
}

int statusExitCode(const StatusReport& report) {
  if (report.daemon != kDaemonRunning) return kExitDaemonDown;
  if (!report.stateError.empty() && !report.stateMissing) return kExitUnhealthy;
  if (report.mailProblem) return kExitUnhealthy;
  for (const JobRow& job : report.jobs) {
    if (failing(job)) return kExitUnhealthy;
  }
  return kExitOk;
}

std::string statusText(const StatusReport& report, const TerminalOutput& out, int64_t now) {
  std::string text = daemonLine(report, out, now);
  if (!report.stateError.empty()) text += paint("state: " + report.stateError, Style::bad, out.colour) + "\n";
  if (report.heartbeatUnixMs > 0) {
    text += "scheduler heartbeat: " + localTime(report.heartbeatUnixMs) + " (" + ageOf(report.heartbeatUnixMs, now) + ")\n";
  }
  if (report.noMail) {
    text += "email: nomail is set: alerts are logged, never sent\n";
  } else {
    text += "mail: " + (report.mailProblem ? paint("PROBLEM: " + report.mailProblemWhy, Style::bad, out.colour)
                                           : paint("healthy", Style::good, out.colour)) + "\n";
  }
  if (!report.lastReload.ok) {
    text += paint("config: the reload at " + localTime(report.lastReload.unixMs) +
                      " was REFUSED (checkerd runs the config it had): " + report.lastReload.message,
                  Style::bad, out.colour) + "\n";
  }
  text += outboxLines(report, out, now);
  text += "\n" + jobsTable(report, out, now);
  if (!report.channels.empty()) text += "\n" + channelsTable(report, out, now);
  if (!report.peers.empty()) text += "\n" + peersTable(report, out, now);
  text += "\n" + summary(report, out);
  return text;
}

std::string statusJson(const StatusReport& report) {
  Json doc{{"schema", kStatusJsonSchema},
           {"servername", report.serverName},
           {"healthy", statusExitCode(report) == kExitOk},
           {"daemon", report.daemon},
           {"state_error", report.stateError},
           {"heartbeat_unix_ms", report.heartbeatUnixMs},
           {"outbox", outboxJson(report)},
           {"mail_problem", report.mailProblem},
           {"mail_problem_why", report.mailProblemWhy},
           {"peers", peersJson(report)},
           {"last_reload",
            Json{{"unix_ms", report.lastReload.unixMs},
                 {"ok", report.lastReload.ok},
                 {"message", report.lastReload.message}}}};
  Json& jobs = doc["jobs"] = Json::array();
  for (const JobRow& job : report.jobs) jobs.push_back(jobJson(job));
  doc["channels"] = channelsJson(report);  // added after the keys scripts match on in order
  return jsonText(doc, {"jobs"}) + "\n";
}

}  // namespace checker::cli
