// The page's history pieces, pure: the response-time chart (peerd/latency_chart.h)
// and the bar of recent runs (peerd/run_bar.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "peerd/latency_chart.h"
#include "peerd/run_bar.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kStart = 1'800'000'000'000;  // 2027-01-15

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST(LatencyChart, OneVertexPerRunInTheRangeInTimeOrder) {
  ChartRange range{kStart, kStart + kHour};
  std::vector<LatencyPoint> points = {{kStart + 3000, 12}, {kStart + 1000, 10}, {kStart - 1, 99},
                                      {kStart + 2000, 0, true}, {kStart + kHour, 5}, {kStart + 4000, 14}};
  std::vector<LatencyPoint> drawn = chartVertices(points, range);
  ASSERT_EQ(drawn.size(), 4u) << "before the range and at its end are left out";
  EXPECT_EQ(drawn[0].unixMs, kStart + 1000);
  EXPECT_TRUE(drawn[1].failed);
  EXPECT_EQ(drawn[3].ms, 14);

  std::string svg = renderLatencyChart(points, range, "Response time of <web>, last hour");
  EXPECT_THAT(svg, HasSubstr("data-points=\"3\" data-failures=\"1\""));
  EXPECT_THAT(svg, HasSubstr("role=\"img\""));
  EXPECT_THAT(svg, HasSubstr("<title id=\"chart-title\">Response time of &lt;web&gt;, last hour</title>"));
  EXPECT_THAT(svg, HasSubstr("3 runs measured, average 12 ms, highest 14 ms. 1 failure."));
  // The failure breaks the line: one segment of one point, one of two.
  EXPECT_EQ(count(svg, "M"), 2u);
  EXPECT_EQ(count(svg, "L"), 1u);
  EXPECT_EQ(count(svg, "<circle class=\"pt\""), 3u);
  EXPECT_EQ(count(svg, "class=\"fail\""), 1u);
  EXPECT_THAT(svg, HasSubstr(">20 ms</text>")) << "the axis tops at the round number above 14 ms";
}

TEST(LatencyChart, ManyRunsAreMergedIntoColumnsKeepingSpikesAndFailures) {
  ChartRange range{kStart, kStart + 30 * 24 * kHour};
  std::vector<LatencyPoint> points;
  for (int64_t t = kStart; t < range.toUnixMs; t += 60'000) points.push_back({t, 10});  // 43,200 runs
  points[20'000].ms = 900;
  points[30'000].failed = true;
  std::vector<LatencyPoint> drawn = chartVertices(points, range);
  EXPECT_LE(drawn.size(), kMaxChartVertices);
  EXPECT_GE(drawn.size(), kMaxChartVertices - 1);
  double highest = 0;
  size_t failures = 0;
  for (const LatencyPoint& p : drawn) {
    highest = std::max(highest, p.failed ? 0 : p.ms);
    failures += p.failed;
  }
  EXPECT_EQ(highest, 900) << "a spike survives the merge";
  EXPECT_EQ(failures, 1u);
  std::string svg = renderLatencyChart(points, range, "30 days");
  EXPECT_EQ(count(svg, "<circle"), 0u) << "no dots for hundreds of vertices";
  EXPECT_LT(svg.size(), 64u * 1024) << "the chart of 30 days stays small";
}

TEST(LatencyChart, NothingMeasuredIsSaidInWords) {
  std::string svg = renderLatencyChart({}, ChartRange{kStart, kStart + kHour}, "empty");
  EXPECT_THAT(svg, HasSubstr("No run measured a latency in this range."));
  EXPECT_THAT(svg, HasSubstr("data-points=\"0\""));
  EXPECT_THAT(svg, Not(HasSubstr("<path")));
}

TEST(RunBar, TheNewestRunsRightAlignedEachLabelled) {
  std::vector<BarRun> runs = {{kStart, ipc::Outcome::OK, 1500},
                              {kStart + 60'000, ipc::Outcome::TIMED_OUT, -1},
                              {kStart + 120'000, ipc::Outcome::OK, 12'000}};
  std::string bar = renderRunBar(runs, 10);
  EXPECT_EQ(count(bar, "role=\"listitem\""), 3u) << "no element for an empty slot";
  EXPECT_THAT(bar, HasSubstr("--slots:10"));
  EXPECT_EQ(count(bar, "class=\"run ok\""), 2u);
  EXPECT_EQ(count(bar, "class=\"run timed_out\""), 1u);
  EXPECT_THAT(bar, HasSubstr("aria-label=\"the last 3 runs, oldest first\""));
  EXPECT_THAT(bar, HasSubstr(": ok, 12 ms\""));
  EXPECT_THAT(bar, HasSubstr(": timed_out\""));
  EXPECT_LT(bar.find("timed_out"), bar.rfind(": ok, 12 ms")) << "oldest first";

  std::string two = renderRunBar(runs, 2);
  EXPECT_EQ(count(two, "role=\"listitem\""), 2u);
  EXPECT_THAT(two, Not(HasSubstr("1.5 ms"))) << "only the newest two";
}

}  // namespace
}  // namespace checker::peerd
