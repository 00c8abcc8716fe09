#include "state/history_text.h"

#include <algorithm>
#include <cstdio>

namespace checker {

std::string latencyText(double ms) {
  char text[32];
  // Each threshold is where the finer format would round up into the
  // next: 9.96 ms is "10 ms", not "10.0 ms".
  if (ms >= 999.5) std::snprintf(text, sizeof text, "%.1f s", ms / 1000);
  else if (ms >= 9.95) std::snprintf(text, sizeof text, "%.0f ms", ms);
  else if (ms >= 0.995) std::snprintf(text, sizeof text, "%.1f ms", ms);
  else if (ms >= 0.005) std::snprintf(text, sizeof text, "%.2f ms", ms);
  else return "0 ms";
  return text;
}

std::string uptimeText(const Uptime& uptime) {
  std::optional<double> ratio = uptime.ratio();
  if (!ratio) return "-";
  if (uptime.failures == 0) return "100 %";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f %%", std::min(*ratio * 100, 99.99));
  return text;
}

}  // namespace checker
