#pragma once
// A job's own page (`/job/ID` for a browser, linked from the overview):
// its state now and its uptime over 24 h, 7 d and 30 d; a bar of its
// latest runs; its response time over a chosen range (24 h from its raw
// runs, 7 d or 30 d from its hourly medians), as an inline SVG; its
// incidents; the last run's named numbers; and its configuration as
// checkerd runs it. Like the overview: no script (the range is a link),
// escaped throughout, light or dark by the reader's system, readable on a
// phone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "peerd/latency_chart.h"
#include "peerd/run_bar.h"
#include "state/history_view.h"
#include "state/job_list.h"
#include "state/state_store.h"
#include "state/state_view.h"

namespace checker::peerd {

enum class ChartSpan { day, week, month };

// "24h", "7d", "30d" (the `range` query values); anything else: nullopt.
std::optional<ChartSpan> chartSpanNamed(std::string_view name);

struct JobPageData {
  std::string serverName;
  int64_t nowUnixMs = 0;
  std::optional<int64_t> heartbeatAgeMs;  // the supervisor's, for the footer
  std::string id, name;
  std::optional<JobStatus> status;   // nullopt: not run yet
  std::optional<ListedJob> listed;   // how checkerd runs it (meta job_list); nullopt: not said
  Uptime day, week, month;
  std::vector<BarRun> latest;        // oldest first
  std::vector<RunMeasurement> lastMeasured;  // the newest run's named numbers
  ChartSpan span = ChartSpan::day;
  std::vector<LatencyPoint> chart;
  ChartRange range;
  std::vector<JobIncident> incidents;  // of the last 30 days, newest first
};

// The runs a job page's bar shows.
inline constexpr size_t kRunsOnTheJobPage = 60;

// Everything the page shows of job ID from one read transaction.
JobPageData readJobPage(const StateReader& txn, const std::string& id, const std::string& name, ChartSpan span,
                        int64_t nowUnixMs);

std::string renderJobPage(const JobPageData& page);

}  // namespace checker::peerd
