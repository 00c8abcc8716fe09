// The question of the signed protocol (peering/status_request.h): what the
// asker writes, the peer reads back; a repeated, missing or malformed
// parameter and an identity that is not one are refused with a reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "peering/status_request.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;

const std::string kNonce = "00112233445566778899aabbccddeeff";

std::string refusal(const std::string& query) {
  auto parsed = parseStatusRequest(query);
  EXPECT_FALSE(parsed.ok()) << query;
  return parsed.error();
}

TEST(StatusRequest, WhatTheAskerWritesThePeerReads) {
  for (const std::string& asker : {std::string("web2"), std::string("web 2 & co=x%y+z"),
                                   std::string("caf\xc3\xa9.example.org"), std::string(255, 'a')}) {
    std::string query = statusRequestQuery(StatusRequest{kNonce, "0123456789abcdef", asker});
    auto parsed = parseStatusRequest(query);
    ASSERT_TRUE(parsed.ok()) << query << ": " << parsed.error();
    EXPECT_EQ(parsed->nonce, kNonce);
    EXPECT_EQ(parsed->keyId, "0123456789abcdef");
    EXPECT_EQ(parsed->requester, asker);
  }
  EXPECT_EQ(statusRequestQuery(StatusRequest{kNonce, "k", "a b/\xc3\xa9"}),
            "nonce=" + kNonce + "&key=k&from=a%20b%2F%C3%A9");
  // Older checkers wrote lowercase hex: still read.
  auto older = parseStatusRequest("nonce=" + kNonce + "&key=k&from=a%20b%2f%c3%a9");
  ASSERT_TRUE(older.ok()) << older.error();
  EXPECT_EQ(older->requester, "a b/\xc3\xa9");
}

TEST(StatusRequest, UnknownParametersAreIgnoredInAnyOrder) {
  auto parsed = parseStatusRequest("v=3&from=web2&x&key=k&nonce=" + kNonce);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->requester, "web2");
}

TEST(StatusRequest, WhatIsWrongIsNamed) {
  std::string key = "&key=k", from = "&from=web2";
  EXPECT_THAT(refusal("nonce=" + kNonce + key + from + "&from=web3"), HasSubstr("'from' given twice"));
  EXPECT_THAT(refusal("nonce=" + kNonce + "&nonce=" + kNonce + key + from), HasSubstr("'nonce' given twice"));
  EXPECT_THAT(refusal("nonce=" + kNonce + key), HasSubstr("'from' must name the asker"));
  EXPECT_THAT(refusal("nonce=" + kNonce + key + "&from="), HasSubstr("'from' must name the asker"));
  EXPECT_THAT(refusal("nonce=" + kNonce + from), HasSubstr("no key id"));
  EXPECT_THAT(refusal("nonce=abc" + key + from), HasSubstr("nonce must be 16 to 128 hex digits"));
  EXPECT_THAT(refusal(key + from), HasSubstr("nonce must be"));
  EXPECT_THAT(refusal("nonce=" + kNonce + key + "&from=a%2"), HasSubstr("'from' has a bad %-escape"));
  EXPECT_THAT(refusal("nonce=" + kNonce + key + "&from=a%zz"), HasSubstr("bad %-escape"));
  // Not UTF-8, a control character, too long: not an identity.
  for (const std::string& bad : std::vector<std::string>{"%FF", "a%0Ab", "%7F", "%C2%85", "%ED%A0%80", "%C0%AF",
                                                         std::string(256, 'a')}) {
    EXPECT_THAT(refusal("nonce=" + kNonce + key + "&from=" + bad), HasSubstr("'from' must name the asker")) << bad;
  }
}

TEST(StatusRequest, IdentitiesAreUtf8WithoutControls) {
  EXPECT_TRUE(validIdentity("web1"));
  EXPECT_TRUE(validIdentity("h\xc3\xb4te \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(validIdentity(""));
  EXPECT_FALSE(validIdentity("tab\there"));
  EXPECT_FALSE(validIdentity("\xe2\x82"));          // cut short
  EXPECT_FALSE(validIdentity("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(validIdentity("\xe0\x80\xaf"));      // overlong
  EXPECT_TRUE(validNonce(kNonce));
  EXPECT_FALSE(validNonce("0011"));
  EXPECT_FALSE(validNonce(std::string(129, 'a')));
}

}  // namespace
}  // namespace checker::peerd
