// The page password's stored form (common/password_hash.h): what the config
// accepts, what it refuses with a reason, and that only the right password
// matches. Few iterations: the cost is not what is tested here.
#include "common/base64.h"
#include "common/password_hash.h"

#include <gtest/gtest.h>

namespace checker {
namespace {

constexpr uint32_t kFew = kMinPasswordHashIterations;

TEST(PasswordHash, OnlyTheRightPasswordMatchesItsHash) {
  Result<PasswordHash> hash = hashPassword("correct horse", kFew);
  ASSERT_TRUE(hash) << hash.error();
  EXPECT_TRUE(passwordMatches(*hash, "correct horse"));
  EXPECT_FALSE(passwordMatches(*hash, "correct hors"));
  EXPECT_FALSE(passwordMatches(*hash, "correct horse "));
  EXPECT_FALSE(passwordMatches(*hash, ""));
}

TEST(PasswordHash, EachHashHasItsOwnSalt) {
  Result<PasswordHash> a = hashPassword("same", kFew), b = hashPassword("same", kFew);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->salt, b->salt);
  EXPECT_NE(a->key, b->key);
}

TEST(PasswordHash, WrittenAndReadBackIsTheSame) {
  Result<PasswordHash> hash = hashPassword("pw", kFew);
  ASSERT_TRUE(hash);
  std::string text = formatPasswordHash(*hash);
  EXPECT_EQ(text.rfind("pbkdf2-sha256$10000$", 0), 0u) << text;
  Result<PasswordHash> back = parsePasswordHash(text);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, *hash);
  EXPECT_TRUE(passwordMatches(*back, "pw"));
}

// A key computed elsewhere: PBKDF2-HMAC-SHA256("password", "saltsalt",
// 10000, 32) by Python's hashlib.pbkdf2_hmac.
TEST(PasswordHash, MatchesAnIndependentlyComputedKey) {
  Result<PasswordHash> hash =
      parsePasswordHash("pbkdf2-sha256$10000$c2FsdHNhbHQ=$" "8AsC4H/147lFlEEMCnL1JMziEIWaSGvXLB7jM4MIJaM=");
  ASSERT_TRUE(hash) << hash.error();
  EXPECT_TRUE(passwordMatches(*hash, "password"));
  EXPECT_FALSE(passwordMatches(*hash, "Password"));
}

TEST(PasswordHash, RefusesWhatIsNotAHashAndSaysWhy) {
  auto refused = [](const std::string& text) {
    Result<PasswordHash> hash = parsePasswordHash(text);
    return hash ? std::string("accepted") : hash.error();
  };
  const std::string salt = "c2FsdHNhbHQ=", key = "8AsC4H/147lFlEEMCnL1JMziEIWaSGvXLB7jM4MIJaM=";
  EXPECT_NE(refused("hunter2").find("not a password hash"), std::string::npos);
  EXPECT_EQ(refused("hunter2").find("hunter2"), std::string::npos);  // never echoed
  EXPECT_NE(refused("md5$10000$" + salt + "$" + key).find("not a password hash"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$10000$" + salt + "$" + key + "$x").find("not a password hash"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$9999$" + salt + "$" + key).find("iterations"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$2000001$" + salt + "$" + key).find("iterations"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$1e5$" + salt + "$" + key).find("iterations"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$-10000$" + salt + "$" + key).find("iterations"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$10000$c2FsdA==$" + key).find("salt"), std::string::npos);  // 4 bytes
  EXPECT_NE(refused("pbkdf2-sha256$10000$" + salt + "$c2FsdA==").find("key"), std::string::npos);
  EXPECT_NE(refused("pbkdf2-sha256$10000$" + salt + "$" + key.substr(1)).find("key"), std::string::npos);
}

TEST(PasswordHash, NewTokensAreLongDistinctAndSafeInAHeader) {
  Result<std::string> a = newRandomToken(), b = newRandomToken();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
}

TEST(Base64, DecodesOnlyStrictBase64) {
  EXPECT_EQ(*base64Decode(""), "");
  EXPECT_EQ(*base64Decode("YQ=="), "a");
  EXPECT_EQ(*base64Decode("YWI="), "ab");
  EXPECT_EQ(*base64Decode("YWJj"), "abc");
  EXPECT_EQ(*base64Decode("AA=="), std::string(1, '\0'));
  EXPECT_EQ(base64Encode(std::string("\0\xff", 2)), "AP8=");
  for (const char* bad : {"YQ", "YQ=", "Y===", "====", "YQ==YQ==", "Y Q=", "YQ\n=", "Y-_a", "YW=j"}) {
    EXPECT_FALSE(base64Decode(bad)) << bad;
  }
}

}  // namespace
}  // namespace checker
