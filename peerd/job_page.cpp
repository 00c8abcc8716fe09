#include "peerd/job_page.h"

#include <algorithm>
#include <cstdio>

#include "peerd/page_parts.h"
#include "peerd/text_escape.h"
#include "state/history_text.h"
#include "state/run_outcome.h"

namespace checker::peerd {
namespace {

constexpr int64_t kDayMs = 86'400'000;

int64_t spanMs(ChartSpan span) {
  switch (span) {
    case ChartSpan::day: return kDayMs;
    case ChartSpan::week: return 7 * kDayMs;
    case ChartSpan::month: return 30 * kDayMs;
  }
  return kDayMs;
}

const char* spanName(ChartSpan span) {
  switch (span) {
    case ChartSpan::day: return "24h";
    case ChartSpan::week: return "7d";
    case ChartSpan::month: return "30d";
  }
  return "24h";
}

const char* spanWords(ChartSpan span) {
  switch (span) {
    case ChartSpan::day: return "the last 24 hours";
    case ChartSpan::week: return "the last 7 days (hourly medians)";
    case ChartSpan::month: return "the last 30 days (hourly medians)";
  }
  return "";
}

// 24 h: each run; longer: each hour's median, failing when a run of it failed.
std::vector<LatencyPoint> chartPoints(const StateReader& txn, const std::string& id, ChartSpan span, ChartRange range) {
  std::vector<LatencyPoint> points;
  if (span == ChartSpan::day) {
    for (const HistoryRun& run : readRuns(txn, id, range.fromUnixMs, range.toUnixMs)) {
      bool failed = run.unreadable || run.outcome != ipc::Outcome::OK;
      if (failed || run.measured.latencyUs >= 0) {
        points.push_back({run.startedUnixMs, static_cast<double>(std::max<int64_t>(run.measured.latencyUs, 0)) / 1000.0, failed});
      }
    }
    return points;
  }
  for (const HourlyAggregate& hour : readHourly(txn, id, range.fromUnixMs, range.toUnixMs)) {
    std::optional<int64_t> median = hour.latencyQuantileUs(0.5);
    if (hour.failures > 0 || median) {
      points.push_back({std::max(hour.hourStartUnixMs, range.fromUnixMs),
                        static_cast<double>(median.value_or(0)) / 1000.0, hour.failures > 0});
    }
  }
  return points;
}

std::string figure(const char* label, const std::string& value) {
  return std::string("<div><dt>") + label + "</dt><dd>" + value + "</dd></div>";
}

void summarySection(std::string& out, const JobPageData& p) {
  const std::optional<JobStatus>& s = p.status;
  out += "<section id=\"now\"><h2>Now</h2><dl class=\"figures\">";
  out += figure("Up 24 h", uptimeText(p.day));
  out += figure("Up 7 d", uptimeText(p.week));
  out += figure("Up 30 d", uptimeText(p.month));
  out += figure("Latency", s && s->lastLatencyUs >= 0 ? latencyText(static_cast<double>(s->lastLatencyUs) / 1000.0) : "-");
  out += figure("Failures in a row", s ? std::to_string(s->consecutiveFailures) : "-");
  out += "</dl>\n";
  if (s && s->runs > 0) {
    out += "<p>Last run " + when(s->lastRunUnixMs, p.nowUnixMs) + ": " + outcomeName(s->lastOutcome) +
           " <span class=\"muted\">in " + durationText(s->lastDurationMs) + "</span></p>\n<p class=\"msg\">" +
           htmlEscape(shortened(cleanUtf8(s->message), 2000)) + "</p>\n";
  } else {
    out += "<p class=\"muted\">It has not run yet.</p>\n";
  }
  out += "</section>\n";
}

void chartSection(std::string& out, const JobPageData& p) {
  out += "<section id=\"latency\"><h2>Response time</h2>\n<p class=\"ranges\">";
  for (ChartSpan span : {ChartSpan::day, ChartSpan::week, ChartSpan::month}) {
    std::string label = span == ChartSpan::day ? "24 h" : span == ChartSpan::week ? "7 days" : "30 days";
    if (span == p.span) out += "<b aria-current=\"page\">" + label + "</b>";
    else out += "<a href=\"?range=" + std::string(spanName(span)) + "\">" + label + "</a>";
  }
  out += "</p>\n" + renderLatencyChart(p.chart, p.range, "Response time of " + p.name + ", " + spanWords(p.span)) +
         "\n</section>\n";
}

void incidentsSection(std::string& out, const JobPageData& p) {
  out += "<section id=\"incidents\"><h2>Incidents (30 days)</h2>\n";
  if (p.incidents.empty()) {
    out += "<p class=\"muted\">None.</p></section>\n";
    return;
  }
  out += "<table><thead><tr><th>Began</th><th>Lasted</th><th class=\"num\">Failed runs</th>"
         "<th class=\"num wide\">Notices</th><th>First message</th><th class=\"wide\">Last message</th></tr></thead><tbody>\n";
  for (const JobIncident& j : p.incidents) {
    const Incident& i = j.incident;
    out += std::string("<tr class=\"incident") + (i.open() ? " failing" : "") + "\"><td>" + when(i.startUnixMs, p.nowUnixMs) +
           "</td><td>" + (i.open() ? "<span class=\"bad\">ongoing</span>, " + span(i.lastedMs(p.nowUnixMs)) : span(i.durationMs())) +
           "</td><td class=\"num\">" + std::to_string(i.failures) + "</td><td class=\"num wide\">" +
           std::to_string(i.notices) + "</td><td class=\"msg\">" + htmlEscape(shortened(cleanUtf8(i.firstMessage), 400)) +
           "</td><td class=\"msg wide\">" + htmlEscape(shortened(cleanUtf8(i.lastMessage), 400)) + "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void numbersSection(std::string& out, const JobPageData& p) {
  if (p.lastMeasured.empty()) return;
  out += "<section id=\"numbers\"><h2>What the last run measured</h2>\n<table><thead><tr><th>Name</th>"
         "<th class=\"num\">Value</th><th>Unit</th><th class=\"wide\">Warning</th><th class=\"wide\">Critical</th>"
         "</tr></thead><tbody>\n";
  for (const RunMeasurement& m : p.lastMeasured) {
    char value[32];
    std::snprintf(value, sizeof value, "%.6g", m.value);
    out += "<tr><td>" + htmlEscape(m.name) + "</td><td class=\"num\">" + value + "</td><td>" + htmlEscape(m.unit) +
           "</td><td class=\"wide\">" + htmlEscape(m.warn) + "</td><td class=\"wide\">" + htmlEscape(m.crit) + "</td></tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void configSection(std::string& out, const JobPageData& p) {
  out += "<section id=\"config\"><h2>Configuration</h2><dl class=\"figures\">";
  out += figure("Id", "<span class=\"msg\">" + htmlEscape(p.id) + "</span>");
  if (p.listed) {
    out += figure("Type", htmlEscape(p.listed->type));
    out += figure("Section", p.listed->system ? "(system job)" : "[job " + htmlEscape(p.listed->section) + "]");
    out += figure("Runs every", htmlEscape(p.listed->schedule));
    if (p.listed->timeoutMs > 0) {
      int64_t ms = p.listed->timeoutMs;
      out += figure("Timeout", ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
    }
    if (!p.listed->isolation.empty()) out += figure("Isolation", htmlEscape(p.listed->isolation));
    if (!p.listed->notify.empty()) out += figure("Notifies", htmlEscape(p.listed->notify));
  } else if (p.status) {
    out += figure("Type", htmlEscape(p.status->type));
  }
  out += "</dl></section>\n";
}

}  // namespace

std::optional<ChartSpan> chartSpanNamed(std::string_view name) {
  if (name == "24h") return ChartSpan::day;
  if (name == "7d") return ChartSpan::week;
  if (name == "30d") return ChartSpan::month;
  return std::nullopt;
}

JobPageData readJobPage(const StateReader& txn, const std::string& id, const std::string& name, ChartSpan span,
                        int64_t now) {
  JobPageData p;
  p.nowUnixMs = now;
  p.id = id;
  p.name = name;
  p.status = readJobStatus(txn, id);
  if (Result<std::optional<std::vector<ListedJob>>> list = readJobList(txn); list && *list) {
    for (const ListedJob& job : **list) {
      if (job.id == id) p.listed = job;
    }
  }
  std::vector<Uptime> uptimes = readUptimes(txn, id, {now - kDayMs, now - 7 * kDayMs, now - 30 * kDayMs}, now + 1);
  p.day = uptimes[0];
  p.week = uptimes[1];
  p.month = uptimes[2];
  std::vector<HistoryRun> latest = readLatestRuns(txn, id, kRunsOnTheJobPage);
  for (const HistoryRun& run : latest) p.latest.push_back({run.startedUnixMs, run.outcome, run.measured.latencyUs});
  if (!latest.empty()) p.lastMeasured = latest.back().measured.named;
  p.span = span;
  p.range = {now - spanMs(span), now + 1};
  p.chart = chartPoints(txn, id, span, p.range);
  p.incidents = readIncidents(txn, id, now - 30 * kDayMs, now + 1);
  std::reverse(p.incidents.begin(), p.incidents.end());
  return p;
}

std::string renderJobPage(const JobPageData& p) {
  bool failing = p.status && (p.status->unreadable || p.status->health == ipc::Health::FAILING);
  std::string state = !p.status ? "not run yet" : p.status->unreadable ? "unreadable" : healthName(p.status->health);
  std::string out = pageHead(p.name + ": " + state + " (checker " + p.serverName + ")", 30);
  out += std::string("<header class=\"") + (failing ? "problem" : "ok") + "\">\n<h1>" + htmlEscape(p.name) +
         "</h1>\n<p>" + htmlEscape(state);
  if (failing && p.status->firstFailureUnixMs > 0) out += " since " + htmlEscape(localTime(p.status->firstFailureUnixMs));
  if (p.status && p.status->hold != ipc::NoticeHold::NONE) {
    out += " &middot; <span class=\"held\">notices held</span> " + htmlEscape(p.status->holdReason);
    if (p.status->holdSinceUnixMs > 0) out += " (since " + htmlEscape(localTime(p.status->holdSinceUnixMs)) + ")";
  }
  out += " &middot; <a href=\"/\">all jobs on " + htmlEscape(p.serverName) + "</a></p>\n</header>\n<main>\n";
  summarySection(out, p);
  out += "<section id=\"runs\"><h2>Latest runs</h2>\n" + renderRunBar(p.latest, kRunsOnTheJobPage) + "\n</section>\n";
  chartSection(out, p);
  incidentsSection(out, p);
  numbersSection(out, p);
  configSection(out, p);
  out += pageFoot(p.serverName, p.nowUnixMs, p.heartbeatAgeMs);
  return out;
}

}  // namespace checker::peerd
