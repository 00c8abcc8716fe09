#pragma once
// A job's response time over a range, as an inline SVG the page embeds: no
// script, no external asset, no build step. One vertex per run that
// measured a latency (in time order), a gap where the job failed, a y axis
// from 0 to a round number above the highest point, the range's start and
// end under the x axis. Colours come from CSS classes (the page's style
// sheet gives them for light and dark schemes) with presentation
// attributes as the fallback. Accessible: role="img" with a <title> and a
// <desc> that says the figures in words.
//
// Pure: the same input gives the same bytes (times in the local zone).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace checker::peerd {

struct LatencyPoint {
  int64_t unixMs = 0;   // when the run started
  double ms = 0;        // its latency; a failed run: failed = true, ms unused
  bool failed = false;  // breaks the line; marked on the x axis
};

struct ChartRange {
  int64_t fromUnixMs = 0, toUnixMs = 0;  // to > from
};

// At most this many vertices are drawn: more points are merged into equal
// time columns, each keeping its highest latency (a spike stays visible)
// and failing when any run in it failed.
inline constexpr size_t kMaxChartVertices = 720;
// Up to this many vertices, each is also a dot with its time and latency
// as a tooltip (an SVG <title>: no script).
inline constexpr size_t kMaxChartDots = 240;

// The points actually drawn for POINTS (sorted by time, outside RANGE
// dropped), after the merge above. Public so a test can count them.
std::vector<LatencyPoint> chartVertices(const std::vector<LatencyPoint>& points, ChartRange range);

// The SVG. TITLE names what it shows ("Response time of web, last 24 h").
std::string renderLatencyChart(const std::vector<LatencyPoint>& points, ChartRange range, std::string_view title);

}  // namespace checker::peerd
