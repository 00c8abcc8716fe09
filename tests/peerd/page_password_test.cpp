// The status page's password on a real checkerd (peerd on loopback): the
// line `checker hash-password` prints goes into the config; then the page,
// a job page and the JSON API ask for it (401 with the browser's
// challenge), take it as Basic or Bearer, refuse a wrong one and log it;
// the peers' plain word still needs nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/password_hash.h"
#include "peerd/status_instance.h"
#include "support/run_command.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kHtml = "text/html";

std::string checkerCli() { return std::string(CHECKER_BIN_DIR) + "/checker"; }

// The lines `checker hash-password --new-token` printed: the token and the config line.
struct NewToken {
  std::string token, configLine;
};
NewToken newToken() {
  CommandResult made = runCommand(checkerCli() + " hash-password --new-token");
  NewToken out;
  size_t token = made.output.find("token: "), line = made.output.find("page_password = ");
  if (made.exitCode != 0 || token == std::string::npos || line == std::string::npos) return out;
  out.token = made.output.substr(token + 7, made.output.find('\n', token) - token - 7);
  out.configLine = made.output.substr(line, made.output.find('\n', line) - line);
  return out;
}

std::string withAuthorization(const StatusInstance& instance, const std::string& path, const std::string& authorization,
                              const std::string& accept = "") {
  return instance.exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                           (accept.empty() ? "" : "Accept: " + accept + "\r\n") +
                           (authorization.empty() ? "" : "Authorization: " + authorization + "\r\n") +
                           "Connection: close\r\n\r\n");
}

TEST(PagePassword, TheHashOfAPasswordFromStdinMatchesOnlyThatPassword) {
  CommandResult made = runCommand("printf 'tr0ub4dor&3\\n' | " + checkerCli() + " hash-password");
  ASSERT_EQ(made.exitCode, 0) << made.output;
  ASSERT_THAT(made.output, StartsWith("page_password = pbkdf2-sha256$"));
  std::string hashText = made.output.substr(16, made.output.find('\n') - 16);
  Result<PasswordHash> hash = parsePasswordHash(hashText);
  ASSERT_TRUE(hash) << hash.error();
  EXPECT_EQ(hash->iterations, kPasswordHashIterations);
  EXPECT_TRUE(passwordMatches(*hash, "tr0ub4dor&3"));  // the final newline is not part of it
  EXPECT_FALSE(passwordMatches(*hash, "tr0ub4dor&3\n"));
  EXPECT_EQ(runCommand("printf '' | " + checkerCli() + " hash-password").exitCode, 2);
}

TEST(PagePassword, ThePageJobPagesAndApiAskForItThePeersWordDoesNot) {
  NewToken made = newToken();
  ASSERT_FALSE(made.token.empty());
  StatusInstance instance(made.configLine + "\n");
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(1));

  std::string asked = withAuthorization(instance, "/", "", kHtml);
  EXPECT_THAT(asked, StartsWith("HTTP/1.1 401 Unauthorized\r\n"));
  EXPECT_THAT(asked, HasSubstr("\r\nWWW-Authenticate: Basic realm=\"checker status-test\", charset=\"UTF-8\"\r\n"));
  EXPECT_THAT(asked, ::testing::Not(HasSubstr("broken backup")));
  EXPECT_THAT(withAuthorization(instance, "/api/v1/jobs", ""), StartsWith("HTTP/1.1 401 "));
  EXPECT_THAT(withAuthorization(instance, "/job/x", "", kHtml), StartsWith("HTTP/1.1 401 "));

  // A browser's Basic (any user name) and a script's Bearer.
  std::string page = withAuthorization(instance, "/", "Basic " + base64Encode("me:" + made.token), kHtml);
  EXPECT_THAT(page, StartsWith("HTTP/1.1 200 OK\r\nContent-Type: text/html"));
  EXPECT_THAT(page, HasSubstr("<h1>status-test</h1>"));
  std::string api = withAuthorization(instance, "/api/v1/jobs", "Bearer " + made.token);
  EXPECT_THAT(api, StartsWith("HTTP/1.1 200 OK\r\nContent-Type: application/json"));

  std::string wrong = withAuthorization(instance, "/api/v1/jobs", "Bearer " + made.token + "x");
  EXPECT_THAT(wrong, StartsWith("HTTP/1.1 401 "));
  EXPECT_FALSE(instance.daemon().waitForLine("status page: wrong password from 127.0.0.1", std::chrono::seconds(10)).empty());
  for (const std::string& line : instance.daemon().lines()) EXPECT_THAT(line, ::testing::Not(HasSubstr(made.token)));

  // The peers' question and the original's plain word: no password.
  EXPECT_EQ(StatusInstance::bodyOf(instance.get("/")), "True");

  // A new token by reload: the old one no longer opens anything.
  NewToken rotated = newToken();
  ASSERT_FALSE(rotated.token.empty());
  ASSERT_TRUE(instance.reloadWithPeerd(rotated.configLine + "\n")) << ::testing::PrintToString(instance.daemon().lines());
  EXPECT_THAT(withAuthorization(instance, "/api/v1/jobs", "Bearer " + made.token), StartsWith("HTTP/1.1 401 "));
  EXPECT_THAT(withAuthorization(instance, "/api/v1/jobs", "Bearer " + rotated.token), StartsWith("HTTP/1.1 200 OK"));
}

}  // namespace
}  // namespace checker::test
