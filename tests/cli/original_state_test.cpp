// The original Checker's state file as import-state reads it: each line's
// fields and what makes one malformed, which configured job an entry is
// about (the matching rule of cli/original_state.h), and the policy state
// an entry becomes.
#include "cli/original_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/job_catalog.h"

namespace checker::cli {
namespace {

using ::testing::HasSubstr;

OriginalEntry parsed(const std::string& line) {
  OriginalLine result = parseOriginalLine(line, 7);
  EXPECT_TRUE(result.entry.has_value()) << line << ": " << result.error;
  return result.entry.value_or(OriginalEntry{});
}

std::string malformed(const std::string& line) {
  OriginalLine result = parseOriginalLine(line, 1);
  EXPECT_FALSE(result.entry.has_value()) << line;
  return result.error;
}

TEST(OriginalStateLine, ReadsWhatTheOriginalWrites) {
  // jobstate.py: name|state|str(time.time())|str(time.time())|friendlyname|NumFailures
  OriginalEntry e = parsed("VENQU2VydmVy|Failing|1700000000.25|1700000600.5|web|4\n");
  EXPECT_EQ(e.line, 7);
  EXPECT_TRUE(e.failing);
  EXPECT_EQ(e.firstFailureUnixMs, 1700000000250);
  EXPECT_EQ(e.lastNotifyUnixMs, 1700000600500);
  EXPECT_EQ(e.friendlyName, "web");
  EXPECT_EQ(e.failures, 4u);
  // A succeeding job: the integer 0 it starts with.
  OriginalEntry ok = parsed("  c3RhdGU=|Succeeding|0|0|ssh|0  ");
  EXPECT_FALSE(ok.failing);
  EXPECT_EQ(ok.firstFailureUnixMs, 0);
  EXPECT_EQ(ok.failures, 0u);
}

TEST(OriginalStateLine, TimesAreSecondsAsIntegersFloatsOrExponents) {
  EXPECT_EQ(parsed("x|Failing|1700000000|0|a").firstFailureUnixMs, 1700000000000);
  EXPECT_EQ(parsed("x|Failing|1.7e9|0|a").firstFailureUnixMs, 1700000000000);
  EXPECT_EQ(parsed("x|Failing|1700000000.0004|0|a").firstFailureUnixMs, 1700000000000);
  EXPECT_EQ(parsed("x|Succeeding|0.0|0.0|a").lastNotifyUnixMs, 0);
}

TEST(OriginalStateLine, OlderFilesWithoutTheFailureCountAreRead) {
  OriginalEntry e = parsed("x|Failing|1700000000.5|0|web");
  EXPECT_FALSE(e.failures.has_value());
}

TEST(OriginalStateLine, HashesInTheNameAreItsBars) {
  // The original writes '|' in a friendly name as '#' and reads it back.
  EXPECT_EQ(parsed("x|Succeeding|0|0|a#b|0").friendlyName, "a|b");
}

TEST(OriginalStateLine, BlankLinesAreSkipped) {
  EXPECT_TRUE(parseOriginalLine("", 1).blank());
  EXPECT_TRUE(parseOriginalLine("   \r", 1).blank());
}

TEST(OriginalStateLine, MalformedLinesSayWhy) {
  EXPECT_THAT(malformed("just some text"), HasSubstr("expected 5 or 6 fields"));
  EXPECT_THAT(malformed("just some text"), HasSubstr("found 1"));
  EXPECT_THAT(malformed("x|Failing|1|0|a|1|extra"), HasSubstr("found 7"));
  EXPECT_THAT(malformed("x|Broken|0|0|a"), HasSubstr("state 'Broken' is neither Succeeding nor Failing"));
  EXPECT_THAT(malformed("x|Failing|soon|0|a"), HasSubstr("FirstFailureTime 'soon' is not unix seconds"));
  EXPECT_THAT(malformed("x|Failing|1700000000|nan|a"), HasSubstr("LastNotifyTime 'nan'"));
  EXPECT_THAT(malformed("x|Failing|-5|0|a"), HasSubstr("FirstFailureTime '-5'"));
  EXPECT_THAT(malformed("x|Failing|1700000000000|0|a"), HasSubstr("not unix seconds"));  // milliseconds
  EXPECT_THAT(malformed("x|Failing|0|0|a"), HasSubstr("Failing, but FirstFailureTime is 0"));
  EXPECT_THAT(malformed("x|Succeeding|0|0|  "), HasSubstr("no friendly name"));
  EXPECT_THAT(malformed("x|Failing|1700000000|0|a|many"), HasSubstr("NumFailures 'many' is not a count"));
  EXPECT_THAT(malformed("x|Failing|1700000000|0|a|-1"), HasSubstr("NumFailures '-1'"));
}

class OriginalStateMatch : public ::testing::Test {
 protected:
  void SetUp() override {
    ConfigLoad load = parseConfigText(
        "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=yes\n"
        "[peers]\nfriend = http://friend.example.org:5000/,admin@example.org\n"
        "[job web]\ntype = http\nurl = http://example.org/\n"
        "[job dns]\ntype = tcp\ntargets = 192.0.2.1:53, [2001:db8::1]:53\n"
        "[job Metrics]\ntype = exec\ncommand = /bin/true\n"
        "[job backup]\ntype = exec\ncommand = /bin/true x\nfailures_before_notify = 3\n",
        "/etc/checker/t.cfg");
    ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
    JobPlan plan = planJobs(load.config);
    ASSERT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
    jobs_ = std::move(plan.jobs);
  }
  // The id of the job NAME matches, or "" when none.
  std::string idFor(const std::string& name) const {
    JobMatch m = matchOriginalName(name, jobs_);
    return m.job ? m.job->id() : "";
  }
  const JobDefinition& job(const std::string& id) const {
    for (const JobDefinition& j : jobs_) {
      if (j.id() == id) return j;
    }
    throw std::runtime_error("no job " + id);
  }
  std::vector<JobDefinition> jobs_;
};

TEST_F(OriginalStateMatch, ANameAsCheckConfigPrintsItOrAnId) {
  EXPECT_EQ(idFor("web"), "http:http://example.org/");
  EXPECT_EQ(idFor("dns[192.0.2.1:53]"), "tcp:192.0.2.1:53");
  EXPECT_EQ(idFor("email self-check"), "system:email");
  EXPECT_EQ(idFor("peer friend"), "peer:http://friend.example.org:5000/");
  EXPECT_EQ(idFor("tcp:[2001:db8::1]:53"), "tcp:[2001:db8::1]:53");
  EXPECT_EQ(matchOriginalName("web", jobs_).via, "its name");
  EXPECT_EQ(idFor("nothing like it"), "");
  EXPECT_EQ(idFor("dns"), "") << "a section of several jobs is not one job";
}

TEST_F(OriginalStateMatch, TheOriginalsOwnNaming) {
  // TCPServerChecker: "CLASS for LABEL(HOST:PORT)", Python 3 and 2.
  EXPECT_EQ(idFor("<class 'TCPServerChecker.TCPServerChecker.ServerChecker'> for ns1(192.0.2.1:53)"), "tcp:192.0.2.1:53");
  EXPECT_EQ(idFor("TCPServerChecker.ServerChecker for ns1(2001:db8::1:53)"), "tcp:[2001:db8::1]:53");
  EXPECT_EQ(matchOriginalName("TCPServerChecker.ServerChecker for ns1(192.0.2.1:53)", jobs_).via,
            "the original's TCP naming");
  // HTTPServerChecker and the peer check: "CLASS for URL".
  EXPECT_EQ(idFor("<class 'HTTPServerChecker.ServerChecker'> for http://example.org/"), "http:http://example.org/");
  EXPECT_EQ(idFor("<class 'PeerChecker.ServerChecker'> for http://friend.example.org:5000/"),
            "peer:http://friend.example.org:5000/");
  // A JobBase subclass of its own: its class name; EmailChecker is the self-check.
  EXPECT_EQ(idFor("<class 'MetricsChecker.Metrics'>"), "exec:/bin/true");
  EXPECT_EQ(idFor("Metrics"), "exec:/bin/true");
  EXPECT_EQ(idFor("<class 'EmailChecker.EmailChecker'>"), "system:email");
  // Not the original's naming: no guessing.
  EXPECT_EQ(idFor("check for http://example.org/ please"), "");
  EXPECT_EQ(idFor("<class 'HTTPServerChecker.ServerChecker'> for http://other.example.org/"), "");
}

TEST_F(OriginalStateMatch, FailingAndNotifiedStaysNotified) {
  OriginalEntry e = parsed("x|Failing|1700000000.25|1700000600.5|backup|4");
  PolicyState p = importedPolicy(e, job("exec:/bin/true x").notify());
  EXPECT_EQ(p.health, JobHealth::failing);
  EXPECT_EQ(p.firstFailureUnixMs, 1700000000250);
  EXPECT_EQ(p.lastNotifyUnixMs, 1700000600500);
  EXPECT_TRUE(p.notifiedFailure);
  EXPECT_EQ(p.consecutiveFailures, 4u);
  EXPECT_EQ(p.consecutiveSuccesses, 0u);
}

TEST_F(OriginalStateMatch, AMissingCountIsTheThresholdWhenNotifiedElseOne) {
  const NotifySettings& three = job("exec:/bin/true x").notify();
  EXPECT_EQ(importedPolicy(parsed("x|Failing|1700000000|1700000100|backup"), three).consecutiveFailures, 3u);
  EXPECT_EQ(importedPolicy(parsed("x|Failing|1700000000|1700000100|backup|0"), three).consecutiveFailures, 3u);
  PolicyState quiet = importedPolicy(parsed("x|Failing|1700000000|0|backup"), three);
  EXPECT_EQ(quiet.consecutiveFailures, 1u);
  EXPECT_FALSE(quiet.notifiedFailure);
  EXPECT_EQ(quiet.lastNotifyUnixMs, 0);
}

TEST_F(OriginalStateMatch, SucceedingIsOkWithNothingElse) {
  PolicyState p = importedPolicy(parsed("x|Succeeding|1700000000|1700000100|web|3"), job("http:http://example.org/").notify());
  EXPECT_EQ(p, PolicyState{.health = JobHealth::ok});
}

}  // namespace
}  // namespace checker::cli
