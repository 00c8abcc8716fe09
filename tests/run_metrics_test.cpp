// The supervisor's run counters (state/run_metrics.h): which bucket a
// duration falls in, and the counters' way to peerd over IPC (both halves
// of ipc/peerd.capnp RunMetrics are in run_metrics.cpp).
#include <capnp/message.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "state/run_metrics.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

TEST(RunMetrics, BucketsAreUpperBoundsInclusiveAndTheLastIsOpen) {
  RunMetrics m;
  ASSERT_EQ(m.durationBoundsMs.size(), kDurationBoundsMs.size());
  ASSERT_EQ(m.durationBuckets.size(), kDurationBoundsMs.size() + 1);
  m.recordRun(ipc::Outcome::OK, 0);
  m.recordRun(ipc::Outcome::OK, 5);
  m.recordRun(ipc::Outcome::FAILED, 6);
  m.recordRun(ipc::Outcome::LIMIT, 300'000);
  m.recordRun(ipc::Outcome::PROTOCOL_ERROR, 300'001);
  EXPECT_EQ(m.durationBuckets[0], 2u);
  EXPECT_EQ(m.durationBuckets[1], 1u);
  EXPECT_EQ(m.durationBuckets[kDurationBoundsMs.size() - 1], 1u);
  EXPECT_EQ(m.durationBuckets.back(), 1u);
  EXPECT_EQ(m.durationSumMs, 600'012u);
  EXPECT_EQ(m.runs(), 5u);
  EXPECT_EQ(m.runsByOutcome[0], 2u);  // kOutcomes[0] is ok
}

TEST(RunMetrics, TheCountersCrossTheWireWhole) {
  SupervisorCounters sent;
  sent.runs.recordRun(ipc::Outcome::TIMED_OUT, 40'000);
  sent.runs.recordRun(ipc::Outcome::OK, 1);
  sent.spawnFailures = 3;
  sent.overruns = 4;
  sent.runsLost = 5;
  capnp::MallocMessageBuilder message;
  writeSupervisorCounters(sent, message.initRoot<ipc::RunMetrics>());
  Result<SupervisorCounters> got = readSupervisorCounters(message.getRoot<ipc::RunMetrics>().asReader());
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->runs.runsByOutcome, sent.runs.runsByOutcome);
  EXPECT_EQ(got->runs.durationBoundsMs, sent.runs.durationBoundsMs);
  EXPECT_EQ(got->runs.durationBuckets, sent.runs.durationBuckets);
  EXPECT_EQ(got->runs.durationSumMs, 40'001u);
  EXPECT_EQ(got->spawnFailures, 3u);
  EXPECT_EQ(got->overruns, 4u);
  EXPECT_EQ(got->runsLost, 5u);
  // Bounds that do not hold together are refused, not exported.
  auto bad = message.getRoot<ipc::RunMetrics>();
  bad.getDurationBoundsMs().set(1, 1);
  Result<SupervisorCounters> unordered = readSupervisorCounters(bad.asReader());
  EXPECT_FALSE(unordered.ok());
  EXPECT_THAT(unordered.error(), HasSubstr("not strictly ascending"));
  capnp::MallocMessageBuilder empty;  // a HealthUpdate from a checkerd that sends none
  Result<SupervisorCounters> none = readSupervisorCounters(empty.initRoot<ipc::RunMetrics>().asReader());
  EXPECT_FALSE(none.ok());
  EXPECT_THAT(none.error(), HasSubstr("0 duration buckets for 0 bounds"));
}

}  // namespace
}  // namespace checker
