// common/result.h: the value or the error, never both, and moves through.
#include "common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace checker {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Error{"half(" + std::to_string(n) + "): odd"};
  return n / 2;
}

Result<> checkPositive(int n) {
  if (n <= 0) return Error{"not positive: " + std::to_string(n)};
  return {};
}

TEST(Result, CarriesTheValueWhenOk) {
  Result<int> r = half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
  EXPECT_TRUE(r.error().empty());
}

TEST(Result, CarriesTheErrorWhenNot) {
  Result<int> r = half(7);
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error(), "half(7): odd");
}

TEST(Result, VoidResultTellsSuccessFromFailure) {
  EXPECT_TRUE(checkPositive(1).ok());
  Result<> bad = checkPositive(0);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), "not positive: 0");
}

TEST(Result, MovesAValueThatCannotBeCopied) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  std::unique_ptr<int> taken = std::move(r).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);
}

}  // namespace
}  // namespace checker
