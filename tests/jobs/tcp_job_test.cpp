// The tcp job against real sockets on loopback.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "job_test_support.h"
#include "jobs/run_job.h"

namespace checker {
namespace {

using test::contextWithin;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

JobRunOutcome runTcp(const std::string& host, uint16_t port, int connectTimeoutMs,
                     std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  JobParams params = {{"host", host}, {"port", std::to_string(port)},
                      {"connect_timeout_ms", std::to_string(connectTimeoutMs)}};
  return runJob("tcp", params, contextWithin(deadline), "/nonexistent");
}

// Fills the accept queue of LISTENER so that further SYNs are dropped.
// Returns false if loopback connects still complete (then the timeout
// cases cannot be tested here).
class BacklogFiller {
 public:
  explicit BacklogFiller(uint16_t port) : port_(port) {
    for (int i = 0; i < 8; ++i) {
      int fd = connectNonBlocking();
      pollfd p{fd, POLLOUT, 0};
      bool completed = ::poll(&p, 1, 200) == 1;
      fds_.push_back(fd);
      if (!completed) {
        full_ = true;
        return;
      }
    }
  }
  ~BacklogFiller() {
    for (int fd : fds_) ::close(fd);
  }
  bool full() const { return full_; }

 private:
  int connectNonBlocking() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return fd;
  }
  uint16_t port_;
  std::vector<int> fds_;
  bool full_ = false;
};

TEST(TcpJob, OpenPortSucceeds) {
  test::Listener listener(16);
  JobRunOutcome out = runTcp("127.0.0.1", listener.port(), 2000);
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_THAT(out.message, HasSubstr("connected to 127.0.0.1:" + std::to_string(listener.port())));
  ASSERT_TRUE(out.recoveryNotice.has_value());
  EXPECT_EQ(out.recoveryNotice->subject, "test job recovered");
  EXPECT_FALSE(out.failureNotice.has_value());
}

// The probe's latency is the handshake alone; the lookup is a number of
// its own. A refused connect measured nothing.
TEST(TcpJob, ReportsItsConnectTimeAsTheLatency) {
  test::Listener listener(16);
  JobRunOutcome out = runTcp("127.0.0.1", listener.port(), 2000);
  ASSERT_TRUE(out.ok) << out.message;
  const JobMeasurement* connect = test::findMeasurement(out.measurements, "connect");
  const JobMeasurement* resolve = test::findMeasurement(out.measurements, "resolve");
  ASSERT_NE(connect, nullptr);
  ASSERT_NE(resolve, nullptr);
  EXPECT_EQ(connect->unit, "ms");
  EXPECT_GE(out.latencyUs, 0);
  EXPECT_LT(out.latencyUs, 2'000'000);
  EXPECT_DOUBLE_EQ(connect->value, static_cast<double>(out.latencyUs) / 1000.0);
  EXPECT_LE(out.latencyUs, static_cast<int64_t>(out.durationMs) * 1000 + 1000) << "within the run's own time";

  JobRunOutcome refused = runTcp("127.0.0.1", test::freePort(), 2000);
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.latencyUs, -1);
  EXPECT_TRUE(refused.measurements.empty());
}

TEST(TcpJob, ClosedPortIsRefused) {
  uint16_t port = test::freePort();
  JobRunOutcome out = runTcp("127.0.0.1", port, 2000);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, out.message);
}

TEST(TcpJob, HostNameTriesEveryAddress) {
  uint16_t port = test::freePort();
  JobRunOutcome out = runTcp("localhost", port, 2000);
  EXPECT_FALSE(out.ok);
  // localhost may resolve to ::1 and 127.0.0.1: each address is named.
  EXPECT_THAT(out.message, HasSubstr("could not connect to localhost:" + std::to_string(port) + ": "));
  EXPECT_THAT(out.message, HasSubstr("127.0.0.1: Connection refused"));
}

TEST(TcpJob, ConnectTimeoutBoundsTheAttempt) {
  test::Listener listener(0);
  BacklogFiller filler(listener.port());
  if (!filler.full()) GTEST_SKIP() << "loopback connects complete even with a full backlog on this kernel";
  auto start = std::chrono::steady_clock::now();
  JobRunOutcome out = runTcp("127.0.0.1", listener.port(), 300);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr("timed out after 300 ms"));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(TcpJob, DeadlineBoundsTheAttempt) {
  test::Listener listener(0);
  BacklogFiller filler(listener.port());
  if (!filler.full()) GTEST_SKIP() << "loopback connects complete even with a full backlog on this kernel";
  auto start = std::chrono::steady_clock::now();
  JobRunOutcome out = runTcp("127.0.0.1", listener.port(), 10'000, std::chrono::milliseconds(400));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, MatchesRegex(".*timed out after [1-4][0-9][0-9] ms"));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(TcpJob, BadParametersFailClearly) {
  JobRunOutcome out = runJob("tcp", {{"host", "127.0.0.1"}, {"port", "0"}, {"connect_timeout_ms", "100"}},
                             contextWithin(std::chrono::seconds(5)), "/nonexistent");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "parameter 'port' is '0', expected a number from 1 to 65535");
  out = runJob("tcp", {{"port", "80"}}, contextWithin(std::chrono::seconds(5)), "/nonexistent");
  EXPECT_EQ(out.message, "missing parameter 'host'");
}

}  // namespace
}  // namespace checker
