// The http job against python's http.server and openssl s_server on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "job_test_support.h"
#include "jobs/run_job.h"

namespace checker {
namespace {

using test::contextWithin;
using ::testing::HasSubstr;
using ::testing::Not;

JobRunOutcome runHttp(JobParams params, std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
  return runJob("http", params, contextWithin(deadline), "/nonexistent");
}

// `python3 -m http.server` serving a directory with status.txt ("True"),
// big.txt (1.5 MiB, "NEEDLE" only after the first MiB) and sub/.
class HttpJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("status.txt", "True\n");
    std::string big(1536 * 1024, 'x');
    big.replace(1024 * 1024 + 10, 6, "NEEDLE");
    big.replace(100, 5, "EARLY");
    dir_.write("big.txt", big);
    std::filesystem::create_directory(dir_.file("sub"));
    port_ = test::freePort();
    server_ = std::make_unique<test::Process>(
        std::vector<std::string>{"/usr/bin/python3", "-m", "http.server", std::to_string(port_), "--bind", "127.0.0.1",
                                 "--directory", dir_.path()},
        log_.file("http.log"));
    ASSERT_TRUE(test::waitForPort(port_, *server_)) << "http.server did not start on port " << port_;
  }

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  test::TempDir dir_, log_;
  uint16_t port_ = 0;
  std::unique_ptr<test::Process> server_;
};

TEST_F(HttpJobTest, StatusAndBodyMatch) {
  JobRunOutcome out = runHttp({{"url", url("/status.txt")}, {"expect_status", "200"}, {"expect_body", "True"}});
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_THAT(out.message, HasSubstr(url("/status.txt") + " answered 200 in "));
}

// The response time is the whole answer's; its steps are numbers of their
// own, in order; plain HTTP has no TLS handshake.
TEST_F(HttpJobTest, ReportsTheResponseTimeAndItsSteps) {
  JobRunOutcome out = runHttp({{"url", url("/big.txt")}, {"expect_status", "200"}});
  ASSERT_TRUE(out.ok) << out.message;
  const JobMeasurement* firstByte = test::findMeasurement(out.measurements, "first_byte");
  const JobMeasurement* total = test::findMeasurement(out.measurements, "total");
  ASSERT_NE(firstByte, nullptr);
  ASSERT_NE(total, nullptr);
  ASSERT_NE(test::findMeasurement(out.measurements, "connect"), nullptr);
  EXPECT_EQ(test::findMeasurement(out.measurements, "tls_handshake"), nullptr);
  EXPECT_GT(out.latencyUs, 0);
  EXPECT_DOUBLE_EQ(total->value, static_cast<double>(out.latencyUs) / 1000.0);
  EXPECT_LE(firstByte->value, total->value);
  EXPECT_GT(total->value, 0.0);
}

TEST_F(HttpJobTest, MissingFileIsWrongStatus) {
  JobRunOutcome out = runHttp({{"url", url("/missing.txt")}, {"expect_status", "200"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, url("/missing.txt") + " answered 404, expected 200");
  EXPECT_THAT(out.details, HasSubstr("status 404"));
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, out.message);
}

TEST_F(HttpJobTest, ExpectedStatusOtherThan200) {
  JobRunOutcome out = runHttp({{"url", url("/missing.txt")}, {"expect_status", "404"}});
  EXPECT_TRUE(out.ok) << out.message;
}

TEST_F(HttpJobTest, BodyWithoutTheSubstringFails) {
  JobRunOutcome out = runHttp({{"url", url("/status.txt")}, {"expect_status", "200"}, {"expect_body", "False"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, url("/status.txt") + ": body does not contain 'False'");
  EXPECT_THAT(out.details, HasSubstr("True"));
}

TEST_F(HttpJobTest, RedirectIsNotFollowed) {
  JobRunOutcome out = runHttp({{"url", url("/sub")}, {"expect_status", "200"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, url("/sub") + " answered 301, expected 200 (redirects to " + url("/sub/") + ")");
}

TEST_F(HttpJobTest, OnlyTheFirstMebibyteIsSearched) {
  JobRunOutcome out = runHttp({{"url", url("/big.txt")}, {"expect_status", "200"}, {"expect_body", "EARLY"}});
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_THAT(out.details, HasSubstr("body larger than 1 MiB, searched the first 1 MiB"));
  out = runHttp({{"url", url("/big.txt")}, {"expect_status", "200"}, {"expect_body", "NEEDLE"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, url("/big.txt") + ": body does not contain 'NEEDLE'");
  EXPECT_THAT(out.details, HasSubstr("body larger than 1 MiB, searched the first 1 MiB"));
}

TEST(HttpJob, RefusedConnectionFails) {
  std::string url = "http://127.0.0.1:" + std::to_string(test::freePort()) + "/";
  JobRunOutcome out = runHttp({{"url", url}, {"expect_status", "200"}});
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr(url + ": Couldn't connect to server"));
}

TEST(HttpJob, SilentServerHitsTheDeadline) {
  test::Listener listener(16);  // accepts connections in the kernel, never answers
  std::string url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/";
  auto start = std::chrono::steady_clock::now();
  JobRunOutcome out = runHttp({{"url", url}, {"expect_status", "200"}}, std::chrono::milliseconds(500));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr(url + ": Timeout was reached"));
}

TEST(HttpJob, OtherSchemesAreRefused) {
  JobRunOutcome out = runHttp({{"url", "file:///etc/passwd"}, {"expect_status", "200"}});
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr("file:///etc/passwd: Unsupported protocol"));
}

// HTTPS against `openssl s_server -www` (it answers 200 with a status page).
class HttpsJobTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  test::TestPki pki_{dir_};
};

TEST_F(HttpsJobTest, VerifiedWithCaFile) {
  test::TlsServer server(dir_, pki_.issue("localhost", 30, "DNS:localhost,IP:127.0.0.1"));
  ASSERT_TRUE(server.ready());
  std::string url = "https://localhost:" + std::to_string(server.port()) + "/";
  JobRunOutcome out =
      runHttp({{"url", url}, {"expect_status", "200"}, {"expect_body", "s_server"}, {"cafile", pki_.caFile()}});
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_THAT(out.message, HasSubstr(url + " answered 200"));
}

TEST_F(HttpsJobTest, ReportsTheTlsHandshake) {
  test::TlsServer server(dir_, pki_.issue("localhost", 30, "DNS:localhost,IP:127.0.0.1"));
  ASSERT_TRUE(server.ready());
  std::string url = "https://localhost:" + std::to_string(server.port()) + "/";
  JobRunOutcome out = runHttp({{"url", url}, {"expect_status", "200"}, {"cafile", pki_.caFile()}});
  ASSERT_TRUE(out.ok) << out.message;
  const JobMeasurement* handshake = test::findMeasurement(out.measurements, "tls_handshake");
  ASSERT_NE(handshake, nullptr);
  EXPECT_GT(handshake->value, 0.0);
  EXPECT_LE(handshake->value, static_cast<double>(out.latencyUs) / 1000.0);
}

TEST_F(HttpsJobTest, UnknownCaFailsVerification) {
  test::TlsServer server(dir_, pki_.issue("localhost", 30, "DNS:localhost,IP:127.0.0.1"));
  ASSERT_TRUE(server.ready());
  std::string url = "https://localhost:" + std::to_string(server.port()) + "/";
  JobRunOutcome out = runHttp({{"url", url}, {"expect_status", "200"}});
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr(url + ": SSL peer certificate or SSH remote key was not OK"));
  EXPECT_THAT(out.message, HasSubstr("unable to get local issuer certificate"));
}

TEST_F(HttpsJobTest, NameMismatchFailsVerification) {
  test::TlsServer server(dir_, pki_.issue("other", 30, "DNS:other.example"));
  ASSERT_TRUE(server.ready());
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  JobRunOutcome out = runHttp({{"url", url}, {"expect_status", "200"}, {"cafile", pki_.caFile()}});
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr(url + ": SSL peer certificate or SSH remote key was not OK"));
  EXPECT_THAT(out.message, Not(HasSubstr("local issuer")));
}

}  // namespace
}  // namespace checker
