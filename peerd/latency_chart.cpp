#include "peerd/latency_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "peerd/text_escape.h"
#include "state/history_text.h"
#include "state/state_view.h"

namespace checker::peerd {
namespace {

// The drawing's own coordinates; the page scales it to its width.
constexpr double kWidth = 640, kHeight = 180;
constexpr double kLeft = 56, kRight = 8, kTop = 10, kBottom = 28;

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

// The smallest of 1, 2, 5 x 10^k at or above V (V > 0).
double roundUp(double v) {
  double scale = std::pow(10.0, std::floor(std::log10(v)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * scale >= v) return step * scale;
  }
  return 10 * scale;
}

}  // namespace

std::vector<LatencyPoint> chartVertices(const std::vector<LatencyPoint>& points, ChartRange range) {
  std::vector<LatencyPoint> inRange;
  for (const LatencyPoint& p : points) {
    if (p.unixMs >= range.fromUnixMs && p.unixMs < range.toUnixMs && (p.failed || std::isfinite(p.ms))) {
      inRange.push_back(p);
    }
  }
  std::stable_sort(inRange.begin(), inRange.end(),
                   [](const LatencyPoint& a, const LatencyPoint& b) { return a.unixMs < b.unixMs; });
  if (inRange.size() <= kMaxChartVertices) return inRange;
  // Equal time columns; each keeps its highest latency, and fails if any run failed.
  std::vector<LatencyPoint> merged;
  double span = static_cast<double>(range.toUnixMs - range.fromUnixMs);
  size_t column = SIZE_MAX;
  for (const LatencyPoint& p : inRange) {
    size_t c = static_cast<size_t>(static_cast<double>(p.unixMs - range.fromUnixMs) / span * kMaxChartVertices);
    c = std::min(c, kMaxChartVertices - 1);
    if (c != column) {
      merged.push_back(p);
      column = c;
      continue;
    }
    LatencyPoint& into = merged.back();
    if (p.failed) into.failed = true;
    else into.ms = std::max(into.ms, p.ms);
  }
  return merged;
}

std::string renderLatencyChart(const std::vector<LatencyPoint>& points, ChartRange range, std::string_view title) {
  if (range.toUnixMs <= range.fromUnixMs) range.toUnixMs = range.fromUnixMs + 1;
  std::vector<LatencyPoint> drawn = chartVertices(points, range);
  double highest = 0, sum = 0;
  size_t measured = 0, failed = 0;
  for (const LatencyPoint& p : drawn) {
    if (p.failed) {
      ++failed;
      continue;
    }
    highest = std::max(highest, p.ms);
    sum += p.ms;
    ++measured;
  }
  double top = highest > 0 ? roundUp(highest) : 1;
  double plotW = kWidth - kLeft - kRight, plotH = kHeight - kTop - kBottom;
  double span = static_cast<double>(range.toUnixMs - range.fromUnixMs);
  auto x = [&](int64_t t) { return kLeft + static_cast<double>(t - range.fromUnixMs) / span * plotW; };
  auto y = [&](double ms) { return kTop + plotH - std::min(ms, top) / top * plotH; };

  std::string desc = measured == 0 ? "No run measured a latency in this range."
                                   : std::to_string(measured) + " runs measured, average " + latencyText(sum / static_cast<double>(measured)) +
                                         ", highest " + latencyText(highest) + ".";
  if (failed > 0) desc += " " + std::to_string(failed) + (failed == 1 ? " failure." : " failures.");
  std::string out = "<svg class=\"chart\" viewBox=\"0 0 " + number(kWidth) + " " + number(kHeight) +
                    "\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" data-points=\"" +
                    std::to_string(measured) + "\" data-failures=\"" + std::to_string(failed) + "\">";
  out += "<title id=\"chart-title\">" + htmlEscape(title) + "</title><desc id=\"chart-desc\">" + htmlEscape(desc) + "</desc>";
  // Grid and y labels: 0, a quarter, ..., the top.
  for (int i = 0; i <= 4; ++i) {
    double ms = top * i / 4, gy = y(ms);
    out += "<line class=\"grid\" stroke=\"#d0d5db\" x1=\"" + number(kLeft) + "\" x2=\"" + number(kWidth - kRight) +
           "\" y1=\"" + number(gy) + "\" y2=\"" + number(gy) + "\"/>";
    out += "<text class=\"axis\" fill=\"#5b6670\" font-size=\"11\" text-anchor=\"end\" x=\"" + number(kLeft - 6) +
           "\" y=\"" + number(gy + 4) + "\">" + latencyText(ms) + "</text>";
  }
  out += "<text class=\"axis\" fill=\"#5b6670\" font-size=\"11\" x=\"" + number(kLeft) + "\" y=\"" +
         number(kHeight - 8) + "\">" + htmlEscape(localTime(range.fromUnixMs)) + "</text>";
  out += "<text class=\"axis\" fill=\"#5b6670\" font-size=\"11\" text-anchor=\"end\" x=\"" + number(kWidth - kRight) +
         "\" y=\"" + number(kHeight - 8) + "\">" + htmlEscape(localTime(range.toUnixMs)) + "</text>";
  // The line, broken at each failure; failures as red ticks on the x axis.
  std::string path;
  bool penDown = false;
  for (const LatencyPoint& p : drawn) {
    if (p.failed) {
      penDown = false;
      out += "<line class=\"fail\" stroke=\"#b42318\" stroke-width=\"2\" x1=\"" + number(x(p.unixMs)) + "\" x2=\"" +
             number(x(p.unixMs)) + "\" y1=\"" + number(kTop + plotH) + "\" y2=\"" + number(kTop + plotH - 8) + "\"/>";
      continue;
    }
    path += (penDown ? "L" : "M") + number(x(p.unixMs)) + " " + number(y(p.ms));
    penDown = true;
  }
  if (!path.empty()) {
    out += "<path class=\"line\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.5\" stroke-linejoin=\"round\" d=\"" +
           path + "\"/>";
  }
  // Few enough to point at: a dot per run, its time and latency on hover.
  if (drawn.size() <= kMaxChartDots) {
    for (const LatencyPoint& p : drawn) {
      if (p.failed) continue;
      out += "<circle class=\"pt\" fill=\"#2563eb\" r=\"2.5\" cx=\"" + number(x(p.unixMs)) + "\" cy=\"" +
             number(y(p.ms)) + "\"><title>" + htmlEscape(localTime(p.unixMs)) + ": " + latencyText(p.ms) +
             "</title></circle>";
    }
  }
  out += "</svg>";
  return out;
}

}  // namespace checker::peerd
