#pragma once
// What a run measured, as the supervisor keeps it: the probe's own latency
// (a TCP connect, an HTTP response, a TLS handshake, an exec job's
// command), apart from the sandboxed run's overhead, and the named numbers
// a job reported (a Nagios plugin's performance data, a plugin's metrics).
// The limits bound what a hostile job can make the supervisor store.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace checker {

struct RunMeasurement {
  std::string name;   // Nagios perfdata's label
  double value = 0;   // finite
  std::string unit;   // as the job gave it: "", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c", ...
  std::string warn, crit, min, max;  // as the job gave them ("" when absent): Nagios ranges and bounds
};

struct RunMeasurements {
  int64_t latencyUs = -1;  // the probe's own latency; -1 when the job measured none
  std::vector<RunMeasurement> named;
};

inline constexpr size_t kMaxMeasurementsPerRun = 32;
inline constexpr size_t kMaxMeasurementNameBytes = 64;
inline constexpr size_t kMaxMeasurementFieldBytes = 32;  // unit, warn, crit, min, max

}  // namespace checker
