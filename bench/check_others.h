#pragma once
// The other systems checker-bench-checks compares with, on the same
// loopback targets, when Debian's packages are installed: Monit (`set
// daemon 1`, one `check host` with a port test per target, in the
// foreground) and Prometheus' blackbox_exporter (a tcp_connect module,
// driven at the same rate through /probe by a small loopback client here).
// Each runs in a cpuacct cgroup of its own (or is measured from
// /proc/PID/stat) and is stopped at the end, also when a signal stops the
// benchmark.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/check_targets.h"

namespace checker::bench {

struct OtherFigures {
  std::string what;       // "monit 5.33", "blackbox_exporter"
  double seconds = 0;     // measured window
  double cpuMs = -1;      // of its own process tree in the window
  uint64_t checks = 0;    // connections the targets accepted in the window
  uint64_t asked = 0;     // checks asked for in the window
  std::string cpuFrom;    // where the CPU figure comes from
  std::string note;       // failures to report
};

// Nothing when `monit` is not on PATH.
std::optional<OtherFigures> measureMonit(const LoopbackTargets& targets, const std::vector<uint16_t>& ports,
                                         int seconds);
// Nothing when `prometheus-blackbox-exporter` is not on PATH.
std::optional<OtherFigures> measureBlackbox(const LoopbackTargets& targets, const std::vector<uint16_t>& ports,
                                            int seconds);

// The full path of PROGRAM on PATH, or "".
std::string onPath(const std::string& program);

}  // namespace checker::bench
