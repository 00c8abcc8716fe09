// A job's page (peerd/job_page.h) from a real LMDB a StateWriter filled:
// two hours of one run a minute, ten failing in one incident. What it reads
// (uptime, the chart's points for each range, the latest runs, the
// incident, the last run's numbers) and what it shows, escaped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "peerd/job_page.h"
#include "state/hourly_aggregate.h"
#include "state/state_writer.h"
#include "support/temp_dir.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kNow = 497'300 * kHourMs + 30 * kMinuteMs;
const std::string kId = "exec:/bin/check \"<db>\"";

class JobPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StateStore store = StateStore::openForWriting(dir_.file("state"));
    StateWriter writer(store);
    int64_t first = kNow - 120 * kMinuteMs;
    for (int i = 0; i < 120; ++i) {
      bool ok = i < 50 || i >= 60;
      FinishedRun run;
      run.jobId = kId;
      run.jobName = "db <primary>";
      run.jobType = "exec";
      run.startedUnixMs = first + i * kMinuteMs;
      run.durationMs = 30;
      run.outcome = ok ? ipc::Outcome::OK : ipc::Outcome::FAILED;
      run.message = ok ? "OK - 12 connections" : "CRITICAL - <refused>";
      run.measured.latencyUs = ok ? 20'000 + i * 100 : -1;
      run.measured.named.push_back({"connections", 12, "", "80", "95", "0", "100"});
      run.record.policy.health = ok ? JobHealth::ok : JobHealth::failing;
      run.record.policy.firstFailureUnixMs = ok ? 0 : first + 50 * kMinuteMs;
      run.record.runs = static_cast<uint64_t>(i + 1);
      writer.add(std::move(run));
      writer.flush(first + i * kMinuteMs + 100);
    }
    ListedJob listed{kId, "db <primary>", "exec", "db", "minute", false};
    listed.timeoutMs = 2500;
    listed.notify = "hour, after 2 failures; recovery notice; ok again after 1 run";
    listed.isolation = "run";
    writer.setJobList({listed});
    writer.flush(kNow);
  }

  JobPageData read(ChartSpan span) {
    StateStore store = StateStore::openReadOnly(dir_.file("state"));
    ReadTransaction txn = store.beginRead();
    JobPageData page = readJobPage(txn, kId, "db <primary>", span, kNow);
    page.serverName = "web1";
    return page;
  }

  test::TempDir dir_;
};

TEST_F(JobPageTest, ReadsUptimeLatestRunsTheIncidentAndTheLastNumbers) {
  JobPageData page = read(ChartSpan::day);
  ASSERT_TRUE(page.status.has_value());
  EXPECT_EQ(page.day.runs, 120u);
  EXPECT_EQ(page.day.failures, 10u);
  EXPECT_EQ(page.month.runs, 120u);
  EXPECT_EQ(page.latest.size(), kRunsOnTheJobPage);
  EXPECT_EQ(page.latest.back().startedUnixMs, kNow - kMinuteMs);
  ASSERT_EQ(page.incidents.size(), 1u);
  EXPECT_EQ(page.incidents[0].incident.failures, 10u);
  ASSERT_EQ(page.lastMeasured.size(), 1u);
  EXPECT_EQ(page.lastMeasured[0].name, "connections");
  // 24 h: a point per run (110 measured, 10 failures); 7 d: one per hour.
  EXPECT_EQ(page.chart.size(), 120u);
  JobPageData week = read(ChartSpan::week);
  EXPECT_EQ(week.chart.size(), 3u) << "the runs fall in three UTC hours";
  EXPECT_EQ(week.day.runs, 120u);
}

TEST_F(JobPageTest, ShowsEverythingEscapedWithTheChartAndTheRangeLinks) {
  std::string html = renderJobPage(read(ChartSpan::day));
  EXPECT_THAT(html, HasSubstr("<h1>db &lt;primary&gt;</h1>"));
  EXPECT_THAT(html, HasSubstr("<dt>Up 24 h</dt><dd>91.67 %</dd>"));
  EXPECT_THAT(html, HasSubstr("data-points=\"110\" data-failures=\"10\""));
  EXPECT_THAT(html, HasSubstr("<b aria-current=\"page\">24 h</b><a href=\"?range=7d\">7 days</a>"));
  EXPECT_THAT(html, HasSubstr("<tr class=\"incident\">"));
  EXPECT_THAT(html, HasSubstr("CRITICAL - &lt;refused&gt;"));
  EXPECT_THAT(html, HasSubstr("<td>connections</td><td class=\"num\">12</td>"));
  EXPECT_THAT(html, HasSubstr("exec:/bin/check &quot;&lt;db&gt;&quot;"));
  EXPECT_THAT(html, HasSubstr("<dt>Section</dt><dd>[job db]</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>Timeout</dt><dd>2500 ms</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>Isolation</dt><dd>run</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>Notifies</dt><dd>hour, after 2 failures; recovery notice; ok again after 1 run</dd>"));
  EXPECT_THAT(html, Not(HasSubstr("<db>")));
  EXPECT_THAT(html, Not(HasSubstr("<primary>")));
  // The only tags are the page's own (the SVG's included).
  for (size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    std::string tag = html.substr(at + 1, html.find_first_of(" >", at) - at - 1);
    if (tag.front() == '/') tag.erase(0, 1);
    static const std::set<std::string> ours = {
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "b", "a", "main",
        "section", "table", "thead", "tbody", "tr", "th", "td", "span", "div", "dl", "dt", "dd", "footer", "svg",
        "desc", "line", "text", "path", "circle"};
    EXPECT_TRUE(ours.count(tag)) << "unexpected tag <" << tag << "> at " << at;
  }
  std::string week = renderJobPage(read(ChartSpan::week));
  EXPECT_THAT(week, HasSubstr("<a href=\"?range=24h\">24 h</a><b aria-current=\"page\">7 days</b>"));
  EXPECT_THAT(week, HasSubstr("the last 7 days (hourly medians)"));
}

}  // namespace
}  // namespace checker::peerd
