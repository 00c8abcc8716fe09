// The status page's password (peerd/page_guard.h, authorization.h,
// password_attempts.h): who gets through, who gets the challenge, who is
// refused and for how long. Pure: requests made by hand, a clock passed in.
#include "peerd/page_guard.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/password_hash.h"
#include "peerd/authorization.h"

namespace checker::peerd {
namespace {

constexpr uint32_t kFew = kMinPasswordHashIterations;

std::string basic(const std::string& userAndPassword) { return "Basic " + base64Encode(userAndPassword); }

HttpRequest request(const std::string& authorization, const std::string& client = "127.0.0.1") {
  HttpRequest r;
  r.method = "GET";
  r.url = "/";
  r.clientAddress = client;
  r.authorization = authorization;
  return r;
}

std::string header(const HttpResponse& response, const std::string& name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return "";
}

class PageGuardTest : public ::testing::Test {
 protected:
  PageGuard guard(bool overPlainHttp = false, AttemptLimits limits = {}) {
    return PageGuard(*hashPassword("s3cret", kFew), overPlainHttp, "checker \"web-1\"", limits);
  }
  // The status REFUSAL gives, 200 when it lets the request through.
  static int status(const std::optional<HttpResponse>& refusal) { return refusal ? refusal->status : 200; }
};

TEST_F(PageGuardTest, WithoutAPasswordEveryoneThatMayAskGetsThrough) {
  PageGuard open(std::nullopt, false, "checker");
  EXPECT_EQ(status(open.refusal(request(""), 0)), 200);
  EXPECT_EQ(status(open.refusal(request("", "192.0.2.7"), 0)), 200);
}

TEST_F(PageGuardTest, TheRightPasswordOrTokenGetsThroughAnyUserName) {
  PageGuard g = guard();
  EXPECT_EQ(status(g.refusal(request(basic("anyone:s3cret")), 0)), 200);
  EXPECT_EQ(status(g.refusal(request(basic(":s3cret")), 1)), 200);
  EXPECT_EQ(status(g.refusal(request("Bearer s3cret"), 2)), 200);
  EXPECT_EQ(status(g.refusal(request("bearer   s3cret"), 3)), 200);
  EXPECT_EQ(status(g.refusal(request(basic("u:s3cret"), "::1"), 4)), 200);
}

TEST_F(PageGuardTest, NoPasswordGetsTheChallengeABrowserAnswers) {
  PageGuard g = guard();
  std::optional<HttpResponse> refused = g.refusal(request(""), 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(header(*refused, "WWW-Authenticate"), "Basic realm=\"checker web-1\", charset=\"UTF-8\"");
}

TEST_F(PageGuardTest, AWrongOrMalformedOrRepeatedCredentialIsRefused) {
  PageGuard g = guard();
  for (const std::string& bad : {basic("u:s3cre"), basic("u:s3cret "), basic("s3cret"), std::string("Basic s3cret"),
                                 std::string("Bearer"), std::string("Bearer "), std::string("Digest s3cret"),
                                 std::string("s3cret")}) {
    std::optional<HttpResponse> refused = g.refusal(request(bad), 0);
    ASSERT_TRUE(refused) << bad;
    EXPECT_EQ(refused->status, 401) << bad;
    EXPECT_EQ(refused->body.find("s3cret"), std::string::npos) << refused->body;
  }
  HttpRequest twice = request("Bearer s3cret");
  twice.authorizationRepeated = true;
  EXPECT_EQ(status(g.refusal(twice, 0)), 401);
}

TEST_F(PageGuardTest, PlainHttpFromAnotherHostIsRefusedUnlessAllowed) {
  PageGuard strict = guard(false);
  for (const char* remote : {"192.0.2.7", "::ffff:192.0.2.7", "2001:db8::1", ""}) {
    std::optional<HttpResponse> refused = strict.refusal(request("Bearer s3cret", remote), 0);
    ASSERT_TRUE(refused) << remote;
    EXPECT_EQ(refused->status, 403) << remote;
    EXPECT_NE(refused->body.find("page_password_over_plain_http"), std::string::npos);
  }
  EXPECT_EQ(status(strict.refusal(request("Bearer s3cret", "::ffff:127.0.0.1"), 0)), 200);
  PageGuard allowed = guard(true);
  EXPECT_EQ(status(allowed.refusal(request("Bearer s3cret", "192.0.2.7"), 0)), 200);
  EXPECT_EQ(status(allowed.refusal(request("", "192.0.2.7"), 0)), 401);
}

TEST_F(PageGuardTest, AClientThatGuessesTooOftenWaitsOutItsWindowEvenWithTheRightPassword) {
  PageGuard g = guard(true);
  const std::string attacker = "192.0.2.7";
  EXPECT_EQ(status(g.refusal(request("Bearer s3cret", "192.0.2.99"), 0)), 200);  // someone else logged in
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status(g.refusal(request("Bearer guess", attacker), 1000 + i)), 401);
  std::optional<HttpResponse> refused = g.refusal(request("Bearer guess", attacker), 2000);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(header(*refused, "Retry-After"), "59");  // the window started at 1000 ms
  // The right password tells it nothing while it is refused.
  EXPECT_EQ(status(g.refusal(request("Bearer s3cret", attacker), 3000)), 429);
  // Others are not refused; the attacker is again once its window is over.
  EXPECT_EQ(status(g.refusal(request("Bearer s3cret", "192.0.2.8"), 3000)), 200);
  EXPECT_EQ(status(g.refusal(request("Bearer s3cret", attacker), 61'000)), 200);
}

TEST_F(PageGuardTest, AnIpv6ClientCannotEscapeItsLimitWithinItsPrefix) {
  PageGuard g = guard(true);
  for (int i = 0; i < 5; ++i) {
    std::string address = "2001:db8:1:2::" + std::to_string(i + 1);
    EXPECT_EQ(status(g.refusal(request("Bearer guess", address), 0)), 401);
  }
  EXPECT_EQ(status(g.refusal(request("Bearer guess", "2001:db8:1:2:ffff::9"), 0)), 429);
  EXPECT_EQ(status(g.refusal(request("Bearer guess", "2001:db8:1:3::1"), 0)), 401);  // another /64
}

TEST_F(PageGuardTest, ManyClientsGuessingAtOnceShareABoundedNumberOfChecks) {
  AttemptLimits limits;
  limits.checksBurst = 3;
  limits.checkRefillMs = 1000;
  PageGuard g = guard(true, limits);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(status(g.refusal(request("Bearer guess", "192.0.2." + std::to_string(i)), 0)), 401);
  }
  std::optional<HttpResponse> refused = g.refusal(request("Bearer guess", "192.0.2.50"), 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(header(*refused, "Retry-After"), "2");  // 1001 ms, rounded up
  EXPECT_EQ(status(g.refusal(request("Bearer guess", "192.0.2.50"), 1000)), 401);  // one check came back
}

TEST(PasswordAttempts, RemembersABoundedNumberOfClients) {
  AttemptLimits limits;
  limits.maxClients = 3;
  PasswordAttempts attempts(limits);
  for (int i = 0; i < 10; ++i) attempts.failed("192.0.2." + std::to_string(i), i);
  EXPECT_EQ(attempts.clientsRemembered(), 3u);
  EXPECT_EQ(attempts.failed("192.0.2.9", 20), 2);  // the newest ones stay
}

TEST(PasswordAttempts, CountsMappedIpv4AsItsIpv4AndIpv6ByPrefix) {
  EXPECT_EQ(PasswordAttempts::clientKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(PasswordAttempts::clientKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(PasswordAttempts::clientKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(PasswordAttempts::clientKey("not an address"), "not an address");
}

TEST(Authorization, TheSecretOfBasicAndBearer) {
  EXPECT_EQ(*presentedSecret(basic("user:pa:ss")), "pa:ss");
  EXPECT_EQ(*presentedSecret("BASIC " + base64Encode("u:p")), "p");
  EXPECT_EQ(*presentedSecret("Bearer tok en "), "tok en");
  EXPECT_FALSE(presentedSecret("Basic"));
  EXPECT_FALSE(presentedSecret("Basic !!!!"));
  EXPECT_FALSE(presentedSecret("Basicx " + base64Encode("u:p")));
  EXPECT_FALSE(presentedSecret(""));
}

}  // namespace
}  // namespace checker::peerd
