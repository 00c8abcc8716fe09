// The pure parts of a job's history (state/hourly_aggregate.h,
// state/incidents.h): hour buckets across DST changes, the latency
// histogram's error bound, and incidents driven by the policy's own state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "state/hourly_aggregate.h"
#include "state/incidents.h"
#include "state/policy.h"

namespace checker {
namespace {

// Runs with TZ set to ZONE, then restores the process's TZ.
class ScopedZone {
 public:
  explicit ScopedZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedZone() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  ScopedZone(const ScopedZone&) = delete;
  ScopedZone& operator=(const ScopedZone&) = delete;

 private:
  std::optional<std::string> old_;
};

int64_t localMidnightMs(int year, int month, int day) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000;
}

struct DayBuckets {
  std::map<int64_t, int> runsPerBucket;  // UTC hour start -> runs
  std::set<int> localHours;              // the local hours (0..23) seen
  int64_t lengthMs = 0;
};

// One run a minute over the local calendar day, bucketed by UTC hour.
DayBuckets bucketLocalDay(const char* zone, int year, int month, int day) {
  ScopedZone tz(zone);
  const int64_t begin = localMidnightMs(year, month, day);
  const int64_t end = localMidnightMs(year, month, day + 1);
  DayBuckets out;
  out.lengthMs = end - begin;
  for (int64_t t = begin; t < end; t += 60'000) {
    out.runsPerBucket[hourStartMs(t)] += 1;
    std::time_t seconds = static_cast<std::time_t>(t / 1000);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    out.localHours.insert(local.tm_hour);
  }
  return out;
}

void expectWholeConsecutiveHours(const DayBuckets& day, size_t hours) {
  ASSERT_EQ(day.runsPerBucket.size(), hours);
  int64_t previous = day.runsPerBucket.begin()->first - kHourMs;
  for (const auto& [start, runs] : day.runsPerBucket) {
    EXPECT_EQ(start % kHourMs, 0);
    EXPECT_EQ(start - previous, kHourMs) << "UTC buckets are consecutive hours, without gap or overlap";
    EXPECT_EQ(runs, 60) << "each bucket holds one whole hour of runs";
    previous = start;
  }
}

TEST(HourlyAggregate, DstChangeDaysHave23And25LocalHoursButWholeUtcBuckets) {
  // Europe/Berlin: 2026-03-29 02:00 -> 03:00; 2026-10-25 03:00 -> 02:00.
  DayBuckets spring = bucketLocalDay("Europe/Berlin", 2026, 3, 29);
  EXPECT_EQ(spring.lengthMs, 23 * kHourMs);
  EXPECT_EQ(spring.localHours.size(), 23u);  // 02:xx never happens
  expectWholeConsecutiveHours(spring, 23);
  DayBuckets autumn = bucketLocalDay("Europe/Berlin", 2026, 10, 25);
  EXPECT_EQ(autumn.lengthMs, 25 * kHourMs);
  EXPECT_EQ(autumn.localHours.size(), 24u);  // 02:xx happens twice...
  expectWholeConsecutiveHours(autumn, 25);   // ...in two buckets of its own
  // America/New_York: 2026-03-08 and 2026-11-01.
  expectWholeConsecutiveHours(bucketLocalDay("America/New_York", 2026, 3, 8), 23);
  expectWholeConsecutiveHours(bucketLocalDay("America/New_York", 2026, 11, 1), 25);
}

TEST(HourlyAggregate, HourStartIsTheUtcFloor) {
  EXPECT_EQ(hourStartMs(0), 0);
  EXPECT_EQ(hourStartMs(kHourMs - 1), 0);
  EXPECT_EQ(hourStartMs(kHourMs), kHourMs);
  EXPECT_EQ(hourStartMs(-1), -kHourMs);  // floor before 1970, not toward zero
}

TEST(HourlyAggregate, CountsRunsFailuresAndLatencyOfRunsThatMeasuredOne) {
  HourlyAggregate a;
  a.add(false, 1000);
  a.add(true, -1);  // failed, measured nothing
  a.add(false, 3000);
  a.add(true, 2000);
  EXPECT_EQ(a.runs, 4u);
  EXPECT_EQ(a.failures, 2u);
  EXPECT_EQ(a.latencyRuns, 3u);
  EXPECT_EQ(a.latencyMinUs, 1000);
  EXPECT_EQ(a.latencyMaxUs, 3000);
  EXPECT_EQ(a.latencySumUs, 6000);
  EXPECT_EQ(a.latencyQuantileUs(0.0001), 1000);  // clamped to the exact min
  EXPECT_EQ(a.latencyQuantileUs(1.0), 3000);     // and max
  EXPECT_FALSE(HourlyAggregate{}.latencyQuantileUs(0.5).has_value());
  EXPECT_EQ(decodeHourly(encodeHourly(a)), a);
}

// p50 and p95 from the histogram stay within its stated relative error of
// the true nearest-rank sample, over six decades of latency.
TEST(HourlyAggregate, QuantilesAreWithinTheHistogramsRelativeError) {
  std::mt19937_64 random(17);
  std::lognormal_distribution<double> latency(std::log(20'000.0), 2.0);
  for (int trial = 0; trial < 50; ++trial) {
    HourlyAggregate a;
    std::vector<int64_t> samples;
    for (int i = 0; i < 60; ++i) {
      auto us = std::clamp<int64_t>(static_cast<int64_t>(latency(random)), 1, 3'000'000'000);
      samples.push_back(us);
      a.add(false, us);
    }
    std::sort(samples.begin(), samples.end());
    for (double q : {0.5, 0.95}) {
      int64_t truth = samples[static_cast<size_t>(std::ceil(q * 60)) - 1];
      int64_t estimate = *a.latencyQuantileUs(q);
      EXPECT_LE(std::abs(static_cast<double>(estimate - truth)) / static_cast<double>(truth),
                kLatencyRelativeError + 1e-3)
          << "q " << q << " truth " << truth << " estimate " << estimate;
    }
    EXPECT_LE(a.buckets.size(), 60u);
  }
}

// Merging aggregates is adding their runs to one: counts, min, max, sum and
// the histogram (so its quantiles) come out the same, in any order.
TEST(HourlyAggregate, MergeIsTheSameAsAddingEveryRunToOne) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(std::log(5'000.0), 2.5);
  std::vector<HourlyAggregate> hours(5);
  HourlyAggregate reference;  // every run of every hour added to one
  for (size_t h = 0; h < hours.size(); ++h) {
    hours[h].hourStartUnixMs = static_cast<int64_t>(h) * kHourMs;
    // Hour 2 has no runs; hour 3 only runs that measured no latency.
    int count = h == 2 ? 0 : 40;
    for (int i = 0; i < count; ++i) {
      bool failed = random() % 7 == 0;
      bool measured = h != 3 && random() % 5 != 0;
      int64_t us = measured ? std::clamp<int64_t>(static_cast<int64_t>(latency(random)), 1, 3'000'000'000) : -1;
      hours[h].add(failed, us);
      reference.add(failed, us);
    }
  }
  HourlyAggregate merged, backwards;
  for (const HourlyAggregate& h : hours) merged.merge(h);
  for (auto h = hours.rbegin(); h != hours.rend(); ++h) backwards.merge(*h);
  EXPECT_EQ(merged, reference);
  EXPECT_EQ(backwards, reference);
  EXPECT_GT(merged.buckets.size(), 5u);
  EXPECT_EQ(merged.latencyQuantileUs(0.5), reference.latencyQuantileUs(0.5));
  EXPECT_EQ(merged.latencyQuantileUs(0.95), reference.latencyQuantileUs(0.95));
}

TEST(HourlyAggregate, MergeKeepsItsHourAndSaturates) {
  HourlyAggregate a, b;
  a.hourStartUnixMs = kHourMs;
  a.add(false, 800);
  b.hourStartUnixMs = 5 * kHourMs;
  b.add(true, 200);
  a.merge(b);
  EXPECT_EQ(a.hourStartUnixMs, kHourMs);
  EXPECT_EQ(a.runs, 2u);
  EXPECT_EQ(a.failures, 1u);
  EXPECT_EQ(a.latencyMinUs, 200);
  EXPECT_EQ(a.latencyMaxUs, 800);
  EXPECT_EQ(a.latencySumUs, 1000);

  HourlyAggregate nothing;  // no latency measured: min and max untouched
  nothing.add(true, -1);
  a.merge(nothing);
  EXPECT_EQ(a.latencyMinUs, 200);
  EXPECT_EQ(a.latencyRuns, 2u);

  HourlyAggregate full = a;
  full.runs = full.latencyRuns = full.buckets[0].count = std::numeric_limits<uint32_t>::max() - 1;
  full.latencySumUs = std::numeric_limits<int64_t>::max() - 10;
  full.merge(a);
  EXPECT_EQ(full.runs, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(full.latencyRuns, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(full.buckets[0].count, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(full.latencySumUs, std::numeric_limits<int64_t>::max() - 10) << "a sum that would overflow is left";
}

// ---- incidents ----

struct Episode {
  std::optional<Incident> open;
  std::vector<Incident> closed;
  PolicyState policy;
  NotifySettings settings{NotifyMode::every, 2, true, 2};  // notify from the 2nd failure; 2 successes recover

  void run(int64_t start, bool ok, const std::string& message) {
    PolicyDecision d = applyPolicy(policy, ok, start, settings);
    policy = d.next;
    IncidentRun r{start, 500, !ok, message, d.notice != NoticeKind::none, policy};
    IncidentUpdate u = advanceIncident(open, r);
    if (u.closed) closed.push_back(*u.closed);
    open = u.open;
  }
};

TEST(Incidents, OpenAndCloseWithThePolicysHealthNotWithSingleOutcomes) {
  Episode e;
  e.run(1'000, true, "");
  EXPECT_FALSE(e.open);
  e.run(2'000, false, "refused");  // the policy turns failing: an incident opens
  ASSERT_TRUE(e.open);
  EXPECT_EQ(e.open->startUnixMs, 2'000);
  EXPECT_EQ(e.open->notices, 0u);   // below failures_before_notify
  e.run(3'000, false, "timed out");  // notice
  e.run(4'000, true, "");            // one success: still failing (recover_after 2)
  ASSERT_TRUE(e.open);
  e.run(5'000, false, "refused again");  // notice; the same episode goes on
  e.run(6'000, true, "");
  ASSERT_TRUE(e.open);
  EXPECT_TRUE(e.closed.empty());
  e.run(7'000, true, "");  // recovered: closed, with the recovery notice
  EXPECT_FALSE(e.open);
  ASSERT_EQ(e.closed.size(), 1u);
  const Incident& i = e.closed[0];
  EXPECT_EQ(i.startUnixMs, 2'000);
  EXPECT_EQ(i.endUnixMs, 7'500);  // the recovering run finished
  EXPECT_EQ(i.durationMs(), 5'500);
  EXPECT_EQ(i.firstMessage, "refused");
  EXPECT_EQ(i.lastMessage, "refused again");
  EXPECT_EQ(i.failures, 3u);
  EXPECT_EQ(i.notices, 3u);  // two failure notices and the recovery
  EXPECT_EQ(i.lastFailureUnixMs, 5'000);
  e.run(8'000, false, "down");  // a new episode: a new incident
  ASSERT_TRUE(e.open);
  EXPECT_EQ(e.open->startUnixMs, 8'000);
  EXPECT_EQ(decodeIncident(encodeIncident(i)), i);
}

TEST(Incidents, AnEpisodeStartThatChangedWithoutRecoveryClosesTheOldOne) {
  Incident old;
  old.startUnixMs = 1'000;
  PolicyState after;
  after.health = JobHealth::failing;
  after.firstFailureUnixMs = 9'000;  // e.g. a state imported meanwhile
  IncidentUpdate u = advanceIncident(old, IncidentRun{9'000, 10, true, "x", false, after});
  ASSERT_TRUE(u.closed && u.open);
  EXPECT_EQ(u.closed->endUnixMs, 9'000);
  EXPECT_EQ(u.open->startUnixMs, 9'000);
  EXPECT_EQ(u.open->firstMessage, "x");
}

}  // namespace
}  // namespace checker
