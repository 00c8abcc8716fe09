// The history records read back from LMDB (state/hourly_aggregate.h,
// state/incidents.h) come from a file a reader does not control: any bytes
// must decode to a value or a FrameError, never a crash, and a decoded
// aggregate must stay usable (add() and the quantiles keep their promises).
//
// Input: the whole input is decoded as an HourlyAggregate and as an
// Incident, and read as a history key's time.
// Invariants:
//   - a decoded aggregate's buckets are sorted and in range;
//   - after add(), there is a quantile, within [min, max] when min <= max
//     (a damaged value may say otherwise; no undefined behaviour either way);
//   - an incident re-encodes and decodes to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ipc/framing.h"
#include "state/hourly_aggregate.h"
#include "state/incidents.h"
#include "state/state_keys.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void checkAggregate(std::string_view bytes) {
  checker::HourlyAggregate a;
  try {
    a = checker::decodeHourly(bytes);
  } catch (const checker::ipc::FrameError&) {
    return;
  }
  for (size_t i = 0; i < a.buckets.size(); ++i) {
    require(a.buckets[i].index < checker::kLatencyBuckets);
    require(i == 0 || a.buckets[i - 1].index <= a.buckets[i].index);
  }
  a.add(false, 1234);
  std::optional<int64_t> p95 = a.latencyQuantileUs(0.95);
  require(p95.has_value());
  if (a.latencyMinUs <= a.latencyMaxUs) require(*p95 >= a.latencyMinUs && *p95 <= a.latencyMaxUs);
  (void)checker::encodeHourly(a);
}

void checkIncident(std::string_view bytes) {
  try {
    checker::Incident incident = checker::decodeIncident(bytes);
    require(checker::decodeIncident(checker::encodeIncident(incident)) == incident);
  } catch (const checker::ipc::FrameError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  checkAggregate(bytes);
  checkIncident(bytes);
  (void)checker::state_keys::keyTimeMs(bytes);
  return 0;
}
