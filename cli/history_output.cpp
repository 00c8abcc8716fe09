#include "cli/history_output.h"

#include <algorithm>

#include "state/history_json.h"
#include "state/history_text.h"
#include "state/run_outcome.h"
#include "state/state_view.h"

namespace checker::cli {
namespace {

std::string spanText(int64_t ms) {
  int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
  return std::to_string(s / 86400) + " d " + std::to_string(s % 86400 / 3600) + " h";
}

// min / p50 / p95 / max over the range, from the hourly histograms.
std::string spreadText(const std::vector<HourlyAggregate>& hours) {
  HourlyAggregate all;
  for (const HourlyAggregate& h : hours) all.merge(h);
  if (all.latencyRuns == 0) return "no latency measured";
  auto ms = [](int64_t us) { return latencyText(static_cast<double>(us) / 1000.0); };
  return "min " + ms(all.latencyMinUs) + ", p50 " + ms(all.latencyQuantileUs(0.5).value_or(0)) + ", p95 " +
         ms(all.latencyQuantileUs(0.95).value_or(0)) + ", max " + ms(all.latencyMaxUs);
}

void jobText(std::string& text, const JobHistory& job, const HistoryReport& report, const TerminalOutput& out,
             bool unicode, int64_t now, size_t lastRuns) {
  text += paint(job.name, Style::plain, out.colour) + "  " + paint(job.id, Style::dim, out.colour) + "\n";
  text += "  uptime " + uptimeText(job.uptime) + " (" + std::to_string(job.uptime.runs) + " runs, " +
          std::to_string(job.uptime.failures) + " failed)\n";
  size_t columns = out.width > 20 ? std::min<size_t>(out.width - 12, 72) : 60;
  std::vector<double> latency = latencyColumns(job, report.sinceUnixMs, report.untilUnixMs, columns);
  double highest = *std::max_element(latency.begin(), latency.end());
  text += "  latency " + spreadText(job.hours) + "\n";
  if (highest > 0) text += "  " + sparkline(latency, unicode) + " " + latencyText(highest) + " top\n";
  if (job.incidents.empty()) {
    text += "  no incidents\n";
  } else {
    text += "  incidents:\n";
    for (const JobIncident& i : job.incidents) {
      const Incident& in = i.incident;
      std::string span = in.open() ? paint("ongoing, " + spanText(in.lastedMs(now)), Style::bad, out.colour)
                                   : spanText(in.durationMs());
      std::string notices = in.notices == 0 ? "no notice" : in.notices == 1 ? "1 notice" : std::to_string(in.notices) + " notices";
      text += "    " + localTime(in.startUnixMs) + "  " + span + ", " + std::to_string(in.failures) + " failed runs, " +
              notices + ": " + oneLine(in.firstMessage) + "\n";
    }
  }
  size_t first = job.runs.size() > lastRuns ? job.runs.size() - lastRuns : 0;
  if (first < job.runs.size()) text += "  last runs:\n";
  for (size_t i = first; i < job.runs.size(); ++i) {
    const HistoryRun& run = job.runs[i];
    std::string outcome = run.unreadable ? "unreadable" : outcomeName(run.outcome);
    std::string took =
        run.measured.latencyUs >= 0 ? latencyText(static_cast<double>(run.measured.latencyUs) / 1000.0) : "-";
    std::string head = "    " + localTime(run.startedUnixMs) + "  ";
    std::string rest = "  " + took + "  " + oneLine(run.message);
    if (!run.note.empty()) rest += "  [" + oneLine(run.note) + "]";
    // The message is cut to the terminal's width; the colour's escapes take no columns.
    size_t used = displayWidth(head) + displayWidth(outcome);
    if (out.width > used) rest = truncateToWidth(rest, out.width - used);
    bool good = run.outcome == ipc::Outcome::OK && !run.unreadable;
    text += head + paint(outcome, good ? Style::good : Style::bad, out.colour) + rest + "\n";
  }
}

}  // namespace

std::string sparkline(const std::vector<double>& values, bool unicode) {
  static const char* const kBlocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
  static const char kAscii[] = " .:-=+*#";
  double highest = 0;
  for (double v : values) highest = std::max(highest, v);
  std::string line;
  for (double v : values) {
    if (v < 0 || highest <= 0) {
      line += ' ';
      continue;
    }
    size_t level = std::min<size_t>(7, static_cast<size_t>(v / highest * 7.999));
    if (unicode) line += kBlocks[level];
    else line += kAscii[level == 0 ? 1 : level];  // never a blank for a measured value
  }
  return line;
}

std::vector<double> latencyColumns(const JobHistory& job, int64_t since, int64_t until, size_t columns) {
  std::vector<double> out(columns, -1);
  if (until <= since || columns == 0) return out;
  auto column = [&](int64_t t) {
    return std::min(columns - 1, static_cast<size_t>(static_cast<double>(t - since) / static_cast<double>(until - since) * columns));
  };
  auto put = [&](int64_t t, double ms) {
    if (t < since || t >= until) return;
    double& slot = out[column(t)];
    slot = std::max(slot, ms);
  };
  // Raw runs where they cover the range; the hours' medians before them.
  int64_t rawFrom = job.runs.empty() ? until : job.runs.front().startedUnixMs;
  for (const HourlyAggregate& h : job.hours) {
    if (h.hourStartUnixMs + kHourMs <= rawFrom && h.latencyRuns > 0) {
      put(std::max(h.hourStartUnixMs, since), static_cast<double>(h.latencyQuantileUs(0.5).value_or(0)) / 1000.0);
    }
  }
  for (const HistoryRun& run : job.runs) {
    if (run.measured.latencyUs >= 0) put(run.startedUnixMs, static_cast<double>(run.measured.latencyUs) / 1000.0);
  }
  return out;
}

std::string historyText(const HistoryReport& report, const TerminalOutput& out, bool unicode, int64_t now,
                        size_t lastRuns) {
  std::string text = "history from " + localTime(report.sinceUnixMs) + " to " + localTime(report.untilUnixMs) + "\n";
  for (const JobHistory& job : report.jobs) {
    text += "\n";
    jobText(text, job, report, out, unicode, now, lastRuns);
  }
  return text;
}

std::string historyJson(const HistoryReport& report, int64_t now) {
  Json jobs = Json::array();
  for (const JobHistory& job : report.jobs) {
    Json runs = Json::array(), hours = Json::array(), incidents = Json::array();
    for (const HistoryRun& run : job.runs) runs.push_back(historyRunJson(run));
    for (const HourlyAggregate& hour : job.hours) hours.push_back(hourlyJson(hour));
    for (const JobIncident& incident : job.incidents) incidents.push_back(incidentJson(incident, now));
    jobs.push_back(Json{{"id", job.id},
                        {"name", job.name},
                        {"type", job.type},
                        {"uptime", uptimeJson(job.uptime)},
                        {"incidents", std::move(incidents)},
                        {"hourly", std::move(hours)},
                        {"runs", std::move(runs)}});
  }
  Json doc{{"schema", 1}, {"since_unix_ms", report.sinceUnixMs}, {"until_unix_ms", report.untilUnixMs}, {"jobs", std::move(jobs)}};
  return jsonText(doc, {"runs", "hourly", "incidents"}) + "\n";
}

}  // namespace checker::cli
