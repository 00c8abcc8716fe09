// "did you mean ...?": the edit distance and the rule for a guess.
#include "cli/nearest_name.h"

#include <gtest/gtest.h>

namespace checker::cli {
namespace {

TEST(EditDistance, CountsEachEditOnce) {
  EXPECT_EQ(editDistance("status", "status"), 0u);
  EXPECT_EQ(editDistance("stauts", "status"), 1u) << "two neighbours swapped";
  EXPECT_EQ(editDistance("statu", "status"), 1u);
  EXPECT_EQ(editDistance("statuss", "status"), 1u);
  EXPECT_EQ(editDistance("stbtus", "status"), 1u);
  EXPECT_EQ(editDistance("", "peers"), 5u);
  EXPECT_EQ(editDistance("reload", "peers"), 5u);
}

TEST(NearestName, GuessesOnlyWhenNear) {
  std::vector<std::string_view> names{"check-config", "run-job", "status", "reload", "peers", "test-email", "import-state"};
  EXPECT_EQ(nearestName("stauts", names), "status");
  EXPECT_EQ(nearestName("peer", names), "peers");
  EXPECT_EQ(nearestName("checkconfig", names), "check-config");
  EXPECT_EQ(nearestName("relaod", names), "reload");
  EXPECT_EQ(nearestName("frobnicate", names), "");
  EXPECT_EQ(nearestName("st", names), "") << "so short that anything is near";
  EXPECT_EQ(nearestName("", names), "");
}

}  // namespace
}  // namespace checker::cli
