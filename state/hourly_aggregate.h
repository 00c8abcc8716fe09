#pragma once
// One job's runs in one UTC hour: how many, how many failed, and the
// latency spread of those that measured one. Buckets are UTC epoch hours
// (floor(start ms / 3600000)): a local clock's DST change or time zone never
// moves a run into another bucket, and a run whose start lies before the
// previous one's (the clock stepped back) lands in its own hour's bucket.
// Pure: no clock, no store; state/run_history.h reads and writes these in
// the batch's transaction.
//
// Latency percentiles come from a fixed log-scale histogram: bucket i holds
// [2^(i/4), 2^((i+1)/4)) microseconds, 128 buckets (1 us to ~71 min; above:
// the last). A percentile is read as its bucket's geometric middle, clamped
// to the exact min and max: at most 2^(1/8) - 1 = 9.05 % from the true
// sample. Only non-empty buckets are stored (typically a handful).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace checker {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int kLatencyBuckets = 128;
inline constexpr double kLatencyRelativeError = 0.0905;  // 2^(1/8) - 1

// The start of the UTC hour holding unixMs (floor, also before 1970).
int64_t hourStartMs(int64_t unixMs);

// The histogram bucket of a latency (negative: none, not to be added).
int latencyBucket(int64_t latencyUs);

struct LatencyBucketCount {
  uint16_t index = 0;
  uint32_t count = 0;
  bool operator==(const LatencyBucketCount&) const = default;
};

struct HourlyAggregate {
  int64_t hourStartUnixMs = 0;
  uint32_t runs = 0;
  uint32_t failures = 0;     // every outcome other than ok
  uint32_t latencyRuns = 0;  // runs that measured a latency
  int64_t latencyMinUs = 0, latencyMaxUs = 0, latencySumUs = 0;
  std::vector<LatencyBucketCount> buckets;  // non-empty ones, by index

  // Adds one run; latencyUs < 0: it measured none. Counts saturate.
  void add(bool failed, int64_t latencyUs);
  // Adds OTHER's runs, failures and latencies (histograms bucket by
  // bucket), as if its runs had been added here; counts saturate. The hour
  // stays this one's: a merge over several hours gives a span's spread.
  void merge(const HourlyAggregate& other);
  // The q-quantile (0 < q <= 1, nearest rank) of the measured latencies, in
  // microseconds; nullopt when none was measured.
  std::optional<int64_t> latencyQuantileUs(double q) const;
  bool operator==(const HourlyAggregate&) const = default;
};

// Only the runs and failures of a stored aggregate: what an uptime needs,
// read in place (one copy into aligned memory, no schema walk, no
// histogram); nullopt when VALUE is malformed. For pages that add up
// hundreds of hours per job.
struct HourCounts {
  uint32_t runs = 0, failures = 0;
};
std::optional<HourCounts> readHourCounts(std::string_view value);

// As stored in the `hourly` database (ipc::HourlyAggregate). decode throws
// ipc::FrameError on a malformed value.
std::string encodeHourly(const HourlyAggregate& aggregate);
HourlyAggregate decodeHourly(std::string_view value);

}  // namespace checker
