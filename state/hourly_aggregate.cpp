#include "state/hourly_aggregate.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "ipc/framing.h"
#include "ipc/state.capnp.h"

namespace checker {

int64_t hourStartMs(int64_t unixMs) {
  int64_t hour = unixMs / kHourMs;
  if (unixMs % kHourMs < 0) --hour;  // floor, not truncation, before 1970
  return hour * kHourMs;
}

int latencyBucket(int64_t latencyUs) {
  if (latencyUs < 2) return 0;  // 0 and 1 us: the first bucket
  int bucket = static_cast<int>(std::floor(4.0 * std::log2(static_cast<double>(latencyUs))));
  return std::clamp(bucket, 0, kLatencyBuckets - 1);
}

namespace {

uint32_t plusOne(uint32_t n) { return n == std::numeric_limits<uint32_t>::max() ? n : n + 1; }
uint32_t plus(uint32_t a, uint32_t b) {
  return a > std::numeric_limits<uint32_t>::max() - b ? std::numeric_limits<uint32_t>::max() : a + b;
}

// The geometric middle of bucket i: 2^((i + 0.5) / 4) microseconds.
int64_t bucketMiddleUs(int index) {
  return static_cast<int64_t>(std::llround(std::exp2((index + 0.5) / 4.0)));
}

}  // namespace

void HourlyAggregate::add(bool failed, int64_t latencyUs) {
  runs = plusOne(runs);
  if (failed) failures = plusOne(failures);
  if (latencyUs < 0) return;
  latencyMinUs = latencyRuns == 0 ? latencyUs : std::min(latencyMinUs, latencyUs);
  latencyMaxUs = latencyRuns == 0 ? latencyUs : std::max(latencyMaxUs, latencyUs);
  if (latencySumUs <= std::numeric_limits<int64_t>::max() - latencyUs) latencySumUs += latencyUs;
  latencyRuns = plusOne(latencyRuns);
  const auto index = static_cast<uint16_t>(latencyBucket(latencyUs));
  auto at = std::lower_bound(buckets.begin(), buckets.end(), index,
                             [](const LatencyBucketCount& b, uint16_t i) { return b.index < i; });
  if (at != buckets.end() && at->index == index) at->count = plusOne(at->count);
  else buckets.insert(at, LatencyBucketCount{index, 1});
}

void HourlyAggregate::merge(const HourlyAggregate& other) {
  runs = plus(runs, other.runs);
  failures = plus(failures, other.failures);
  if (other.latencyRuns == 0) return;
  latencyMinUs = latencyRuns == 0 ? other.latencyMinUs : std::min(latencyMinUs, other.latencyMinUs);
  latencyMaxUs = latencyRuns == 0 ? other.latencyMaxUs : std::max(latencyMaxUs, other.latencyMaxUs);
  if (other.latencySumUs >= 0 && latencySumUs <= std::numeric_limits<int64_t>::max() - other.latencySumUs) {
    latencySumUs += other.latencySumUs;
  }
  latencyRuns = plus(latencyRuns, other.latencyRuns);
  // Both sorted by index (add and decodeHourly keep them so): one pass.
  std::vector<LatencyBucketCount> merged;
  merged.reserve(buckets.size() + other.buckets.size());
  auto mine = buckets.cbegin(), theirs = other.buckets.cbegin();
  while (mine != buckets.cend() || theirs != other.buckets.cend()) {
    if (theirs == other.buckets.end() || (mine != buckets.end() && mine->index < theirs->index)) {
      merged.push_back(*mine++);
    } else if (mine == buckets.end() || theirs->index < mine->index) {
      merged.push_back(*theirs++);
    } else {
      merged.push_back({mine->index, plus(mine->count, theirs->count)});
      ++mine;
      ++theirs;
    }
  }
  buckets = std::move(merged);
}

std::optional<int64_t> HourlyAggregate::latencyQuantileUs(double q) const {
  uint64_t total = 0;
  for (const LatencyBucketCount& b : buckets) total += b.count;
  if (total == 0) return std::nullopt;
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(total))));
  uint64_t seen = 0;
  for (const LatencyBucketCount& b : buckets) {
    seen += b.count;
    // Not std::clamp: a damaged stored value may have min > max.
    if (seen >= rank) return std::min(std::max(bucketMiddleUs(b.index), latencyMinUs), latencyMaxUs);
  }
  return latencyMaxUs;
}

std::string encodeHourly(const HourlyAggregate& a) {
  capnp::MallocMessageBuilder message;
  auto h = message.initRoot<ipc::HourlyAggregate>();
  h.setHourStartUnixMs(a.hourStartUnixMs);
  h.setRuns(a.runs);
  h.setFailures(a.failures);
  h.setLatencyRuns(a.latencyRuns);
  h.setLatencyMinUs(a.latencyMinUs);
  h.setLatencyMaxUs(a.latencyMaxUs);
  h.setLatencySumUs(a.latencySumUs);
  auto list = h.initLatencyBuckets(static_cast<unsigned>(a.buckets.size()));
  for (unsigned i = 0; i < list.size(); ++i) {
    list[i].setIndex(a.buckets[i].index);
    list[i].setCount(a.buckets[i].count);
  }
  return ipc::encode(message);
}

std::optional<HourCounts> readHourCounts(std::string_view value) {
  // Cap'n Proto reads words in place; a reader bounds-checks every access,
  // so a damaged value throws (caught) rather than reads out of bounds.
  // 64-bit words: capnp::word itself cannot live in a std::vector (no copy
  // or move), and Cap'n Proto reads any 8-byte aligned words.
  thread_local std::vector<uint64_t> aligned;
  if (value.empty() || value.size() % sizeof(capnp::word) != 0) return std::nullopt;
  aligned.resize(value.size() / sizeof(capnp::word));
  std::memcpy(aligned.data(), value.data(), value.size());
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = aligned.size() * 2;
    capnp::FlatArrayMessageReader reader(
        kj::arrayPtr(reinterpret_cast<const capnp::word*>(aligned.data()), aligned.size()), options);
    auto h = reader.getRoot<ipc::HourlyAggregate>();
    return HourCounts{h.getRuns(), h.getFailures()};
  } catch (const kj::Exception&) {
    return std::nullopt;
  }
}

HourlyAggregate decodeHourly(std::string_view value) {
  auto decoded = ipc::decode(value);
  auto h = decoded->root<ipc::HourlyAggregate>();
  HourlyAggregate a;
  a.hourStartUnixMs = h.getHourStartUnixMs();
  a.runs = h.getRuns();
  a.failures = h.getFailures();
  a.latencyRuns = h.getLatencyRuns();
  a.latencyMinUs = h.getLatencyMinUs();
  a.latencyMaxUs = h.getLatencyMaxUs();
  a.latencySumUs = h.getLatencySumUs();
  for (auto b : h.getLatencyBuckets()) {
    // Kept sorted and in range whatever the stored value says: add() relies on it.
    if (b.getIndex() >= kLatencyBuckets) continue;
    a.buckets.push_back({b.getIndex(), b.getCount()});
  }
  std::sort(a.buckets.begin(), a.buckets.end(),
            [](const LatencyBucketCount& x, const LatencyBucketCount& y) { return x.index < y.index; });
  return a;
}

}  // namespace checker
