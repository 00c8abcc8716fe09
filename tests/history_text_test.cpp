// A job's history in words (state/history_text.h), shared by peerd's pages
// and `checker history`: one precision for a latency, an uptime never
// rounded up to a hundred.
#include <gtest/gtest.h>

#include "state/history_text.h"

namespace checker {
namespace {

TEST(HistoryText, LatencyWithTwoOrThreeSignificantDigits) {
  EXPECT_EQ(latencyText(0), "0 ms");
  EXPECT_EQ(latencyText(0.001), "0 ms");
  EXPECT_EQ(latencyText(0.05), "0.05 ms");
  EXPECT_EQ(latencyText(0.2), "0.20 ms");
  EXPECT_EQ(latencyText(0.42), "0.42 ms");
  EXPECT_EQ(latencyText(4.2), "4.2 ms");
  EXPECT_EQ(latencyText(12.4), "12 ms");
  EXPECT_EQ(latencyText(420), "420 ms");
  EXPECT_EQ(latencyText(1500), "1.5 s");
  EXPECT_EQ(latencyText(42'000), "42.0 s");
}

TEST(HistoryText, TheUnitChangesBeforeAFigureRoundsIntoTheNext) {
  EXPECT_EQ(latencyText(0.996), "1.0 ms");
  EXPECT_EQ(latencyText(9.96), "10 ms");
  EXPECT_EQ(latencyText(999.7), "1.0 s");
  EXPECT_EQ(latencyText(999.4), "999 ms");
}

TEST(HistoryText, UptimeIsNeverRoundedUpToAHundred) {
  EXPECT_EQ(uptimeText(Uptime{10, 0}), "100 %");
  EXPECT_EQ(uptimeText(Uptime{100'000, 1}), "99.99 %");
  EXPECT_EQ(uptimeText(Uptime{2000, 1}), "99.95 %");
  EXPECT_EQ(uptimeText(Uptime{2, 1}), "50.00 %");
  EXPECT_EQ(uptimeText(Uptime{3, 3}), "0.00 %");
  EXPECT_EQ(uptimeText(Uptime{}), "-");
}

}  // namespace
}  // namespace checker
