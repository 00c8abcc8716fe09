// The tls_cert job against `openssl s_server` with certificates made here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "job_test_support.h"
#include "jobs/run_job.h"

namespace checker {
namespace {

using test::contextWithin;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class TlsCertJobTest : public ::testing::Test {
 protected:
  JobRunOutcome check(const test::TlsServer& server, const std::string& host, bool withCa = true) {
    JobParams params = {{"host", host}, {"port", std::to_string(server.port())}, {"warn_days", "30"}};
    if (withCa) params.emplace_back("cafile", pki_.caFile());
    return runJob("tls_cert", params, contextWithin(std::chrono::seconds(15)), "/nonexistent");
  }
  std::string target(const test::TlsServer& server, const std::string& host) const {
    return host + ":" + std::to_string(server.port());
  }

  test::TempDir dir_;
  test::TestPki pki_{dir_};
  const std::string san_ = "DNS:localhost,IP:127.0.0.1";
};

TEST_F(TlsCertJobTest, FarFromExpirySucceeds) {
  test::TlsServer server(dir_, pki_.issue("ninety", 90, san_));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "localhost");
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_THAT(out.message, MatchesRegex("certificate of " + target(server, "localhost") +
                                        " expires in (89|90) days \\([0-9]{4}-[0-9]{2}-[0-9]{2}\\)"));
  EXPECT_THAT(out.details, HasSubstr("subject: /CN=ninety"));
}

// The handshake is the latency; the days left are a number to chart, with
// warn_days as its Nagios warning range.
TEST_F(TlsCertJobTest, ReportsTheHandshakeAndTheDaysLeft) {
  test::TlsServer server(dir_, pki_.issue("ninety", 90, san_));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "localhost");
  ASSERT_TRUE(out.ok) << out.message;
  const JobMeasurement* daysLeft = test::findMeasurement(out.measurements, "days_left");
  const JobMeasurement* handshake = test::findMeasurement(out.measurements, "tls_handshake");
  ASSERT_NE(daysLeft, nullptr);
  ASSERT_NE(handshake, nullptr);
  EXPECT_GT(daysLeft->value, 89.0);
  EXPECT_LE(daysLeft->value, 90.0);
  EXPECT_FALSE(daysLeft->warn.empty());
  EXPECT_GT(out.latencyUs, 0);
  EXPECT_DOUBLE_EQ(handshake->value, static_cast<double>(out.latencyUs) / 1000.0);
}

TEST_F(TlsCertJobTest, IpAddressTargetIsVerifiedAgainstIpSan) {
  test::TlsServer server(dir_, pki_.issue("byip", 90, san_));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "127.0.0.1");
  EXPECT_TRUE(out.ok) << out.message;
}

TEST_F(TlsCertJobTest, CloseToExpiryFails) {
  test::TlsServer server(dir_, pki_.issue("ten", 10, san_));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "localhost");
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, MatchesRegex("certificate of " + target(server, "localhost") +
                                        " expires in (9|10) days \\([0-9]{4}-[0-9]{2}-[0-9]{2}\\)"));
  EXPECT_THAT(out.details, HasSubstr("warn_days: 30"));
}

TEST_F(TlsCertJobTest, ExpiredFails) {
  test::TlsServer server(dir_, pki_.issue("expired", -1, san_));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "localhost");
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, StartsWith("certificate of " + target(server, "localhost") + " expired on "));
  EXPECT_THAT(out.message, HasSubstr("(1 day ago)"));
}

TEST_F(TlsCertJobTest, UntrustedCaFails) {
  test::TlsServer server(dir_, pki_.issue("untrusted", 90, san_));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "localhost", false);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "certificate of " + target(server, "localhost") +
                             " does not verify: unable to get local issuer certificate");
}

TEST_F(TlsCertJobTest, NameMismatchFails) {
  test::TlsServer server(dir_, pki_.issue("other", 90, "DNS:other.example"));
  ASSERT_TRUE(server.ready());
  JobRunOutcome out = check(server, "localhost");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "certificate of " + target(server, "localhost") + " does not verify: hostname mismatch");
}

TEST(TlsCertJob, NoServerFails) {
  uint16_t port = test::freePort();
  JobRunOutcome out = runJob("tls_cert", {{"host", "127.0.0.1"}, {"port", std::to_string(port)}, {"warn_days", "30"}},
                             contextWithin(std::chrono::seconds(5)), "/nonexistent");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(TlsCertJob, PlainTcpServerTimesOutAtTheDeadline) {
  test::Listener listener(16);  // completes the TCP handshake, never speaks TLS
  auto start = std::chrono::steady_clock::now();
  JobRunOutcome out =
      runJob("tls_cert", {{"host", "127.0.0.1"}, {"port", std::to_string(listener.port())}, {"warn_days", "30"}},
             contextWithin(std::chrono::milliseconds(400)), "/nonexistent");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(listener.port()) + " timed out"));
}

}  // namespace
}  // namespace checker
