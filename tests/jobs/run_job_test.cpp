// runJob: what the worker gets back from one run, whatever the job does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "job_test_support.h"
#include "jobs/job_registry.h"
#include "jobs/run_job.h"

namespace checker {
namespace {

using test::contextWithin;
using ::testing::HasSubstr;

// A job whose behaviour its params choose: "result" = ok / fail / silent /
// throw / throw-int; "notice" = throw makes onFailure and
// onStateChangeSuccess throw.
class ScriptedJob : public JobBase {
 public:
  ScriptedJob(JobParams params, JobRunContext context) : JobBase(std::move(params), std::move(context)) {
    if (paramOr("construct", "") == "throw") throw std::invalid_argument("bad params");
  }
  bool execute() override {
    std::string result = paramOr("result", "ok");
    if (result == "fail") return fail("it broke", "the details");
    if (result == "silent") return false;
    if (result == "throw") throw std::runtime_error("kaboom");
    if (result == "throw-int") throw 42;
    return succeed("all fine");
  }
  JobNotice onFailure() const override {
    if (paramOr("notice", "") == "throw") throw std::runtime_error("no notice");
    return JobBase::onFailure();
  }
  JobNotice onStateChangeSuccess() const override {
    if (paramOr("notice", "") == "throw") throw std::runtime_error("no notice");
    return JobBase::onStateChangeSuccess();
  }
};

class RunJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registerJobType("scripted", [](JobParams p, JobRunContext c) -> std::unique_ptr<JobBase> {
      return std::make_unique<ScriptedJob>(std::move(p), std::move(c));
    });
  }
  static JobRunOutcome run(const JobParams& params) {
    return runJob("scripted", params, contextWithin(std::chrono::seconds(5), "web"), CHECKER_PLUGIN_DIR);
  }
};

TEST_F(RunJobTest, SuccessCarriesMessageAndRecoveryNotice) {
  JobRunOutcome out = run({{"result", "ok"}});
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.message, "all fine");
  EXPECT_FALSE(out.failureNotice.has_value());
  ASSERT_TRUE(out.recoveryNotice.has_value());
  EXPECT_EQ(out.recoveryNotice->subject, "web recovered");
  EXPECT_EQ(out.recoveryNotice->body, "all fine");
}

TEST_F(RunJobTest, FailureCarriesMessageDetailsAndNotice) {
  JobRunOutcome out = run({{"result", "fail"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "it broke");
  EXPECT_EQ(out.details, "the details");
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, "it broke");
  EXPECT_EQ(out.failureNotice->body, "the details");
  EXPECT_FALSE(out.recoveryNotice.has_value());
}

TEST_F(RunJobTest, FalseWithoutReasonIsExplained) {
  JobRunOutcome out = run({{"result", "silent"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "failed without saying why (execute() returned false without fail())");
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, out.message);
}

TEST_F(RunJobTest, ExceptionsNeverEscape) {
  EXPECT_EQ(run({{"result", "throw"}}).message, "job threw: kaboom");
  EXPECT_EQ(run({{"result", "throw-int"}}).message, "job threw something that is not a std::exception");
  JobRunOutcome out = run({{"construct", "throw"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "job threw: bad params");
}

TEST_F(RunJobTest, ThrowingNoticeFallsBackToTheDefault) {
  JobRunOutcome out = run({{"result", "fail"}, {"notice", "throw"}});
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, "it broke");
  EXPECT_THAT(out.failureNotice->body, HasSubstr("(onFailure: job threw: no notice)"));
  out = run({{"result", "ok"}, {"notice", "throw"}});
  ASSERT_TRUE(out.recoveryNotice.has_value());
  EXPECT_EQ(out.recoveryNotice->subject, "web recovered");
}

TEST_F(RunJobTest, DurationIsMeasured) {
  JobRunOutcome out = runJob("exec", {{"command", "sleep 0.2; exit 0"}, {"shell", "yes"}},
                             contextWithin(std::chrono::seconds(5)), CHECKER_PLUGIN_DIR);
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_GE(out.durationMs, 150u);
  EXPECT_LT(out.durationMs, 3000u);
}

// An exec job's latency is its command's run time.
TEST_F(RunJobTest, AnExecJobsLatencyIsItsCommandsRunTime) {
  JobRunOutcome out = runJob("exec", {{"command", "sleep 0.2; exit 0"}, {"shell", "yes"}},
                             contextWithin(std::chrono::seconds(5)), CHECKER_PLUGIN_DIR);
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_GE(out.latencyUs, 200'000);
  EXPECT_LE(out.latencyUs, static_cast<int64_t>(out.durationMs) * 1000 + 1000);
}

// A job's reported numbers: the last latency counts, a name reported again
// replaces its number, and a registered type that measured nothing says so.
TEST_F(RunJobTest, ReportedNumbersReachTheOutcome) {
  registerJobType("measuring", [](JobParams p, JobRunContext c) -> std::unique_ptr<JobBase> {
    struct Measuring : JobBase {
      using JobBase::JobBase;
      bool execute() override {
        reportLatency(std::chrono::microseconds(5));
        reportLatency(std::chrono::microseconds(1234));
        reportMeasurement({"queue", 7, "", "10", "20", "0", ""});
        reportMeasurement({"rows", 1e6, "c", "", "", "", ""});
        reportMeasurement({"queue", 8, "", "10", "20", "0", ""});
        return succeed("measured");
      }
    };
    return std::make_unique<Measuring>(std::move(p), std::move(c));
  });
  JobRunOutcome out = runJob("measuring", {}, contextWithin(std::chrono::seconds(5)), CHECKER_PLUGIN_DIR);
  EXPECT_EQ(out.latencyUs, 1234);
  ASSERT_EQ(out.measurements.size(), 2u);
  EXPECT_EQ(out.measurements[0].name, "queue");
  EXPECT_EQ(out.measurements[0].value, 8);
  EXPECT_EQ(out.measurements[1].unit, "c");
  EXPECT_EQ(run({{"result", "ok"}}).latencyUs, -1) << "a registered type measured nothing";
}

TEST(RunJob, PeerClosingEarlyIsAnErrorNotADeadWorker) {
  struct Writer : JobBase {
    using JobBase::JobBase;
    bool execute() override {
      int fds[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return fail("socketpair");
      ::close(fds[1]);
      ssize_t n = ::write(fds[0], "x", 1);  // SIGPIPE, unless ignored
      int err = errno;
      ::close(fds[0]);
      return n < 0 ? fail(std::string("write: ") + std::strerror(err)) : succeed("wrote");
    }
  };
  registerJobType("writer", [](JobParams p, JobRunContext c) -> std::unique_ptr<JobBase> {
    return std::make_unique<Writer>(std::move(p), std::move(c));
  });
  JobRunOutcome out = runJob("writer", {}, contextWithin(std::chrono::seconds(5)), CHECKER_PLUGIN_DIR);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "write: Broken pipe");
}

TEST(RunJob, UnknownBuiltInLookingTypeFails) {
  JobRunOutcome out = runJob("tcp6", {{"host", "::1"}, {"port", "22"}}, contextWithin(std::chrono::seconds(5)),
                             CHECKER_PLUGIN_DIR);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "'tcp6' is not a built-in type (tcp, http, tls_cert, exec) and there is no plugin " +
                             std::string(CHECKER_PLUGIN_DIR) + "/tcp6.so");
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, out.message);
  out = runJob("http-get", {}, contextWithin(std::chrono::seconds(5)), CHECKER_PLUGIN_DIR);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message,
            "unknown job type 'http-get' (built in: tcp, http, tls_cert, exec; a plugin type is a C++ class name)");
}

TEST(RunJob, BuiltInTypesCannotBeReplaced) {
  EXPECT_TRUE(isKnownJobType("tcp"));
  EXPECT_FALSE(registerJobType("tcp", [](JobParams, JobRunContext) { return std::unique_ptr<JobBase>(); }));
  EXPECT_FALSE(isKnownJobType("ExampleCheck"));
}

TEST(RunJob, JobBaseParamsAndTimeLeft) {
  struct Probe : JobBase {
    using JobBase::JobBase;
    bool execute() override { return true; }
    using JobBase::param;
    using JobBase::paramOr;
    using JobBase::timeLeft;
  };
  Probe p({{"a", "1"}, {"a", "2"}, {"b", ""}}, contextWithin(std::chrono::seconds(60)));
  ASSERT_NE(p.param("a"), nullptr);
  EXPECT_EQ(*p.param("a"), "1");
  EXPECT_EQ(p.param("c"), nullptr);
  EXPECT_EQ(p.paramOr("b", "x"), "");
  EXPECT_EQ(p.paramOr("c", "x"), "x");
  EXPECT_GT(p.timeLeft(), std::chrono::seconds(55));
  Probe late({}, contextWithin(std::chrono::milliseconds(-100)));
  EXPECT_EQ(late.timeLeft().count(), 0);
}

}  // namespace
}  // namespace checker
