// confirm_with, confirm_quorum and confirm_unreachable (issue 19): read into
// ConfirmSettings, carried to every job of the section, and every mistake
// reported at its FILE:LINE, saying why.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/job_catalog.h"

namespace checker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Line 6 is [peers]; b and c have secrets, plain does not.
const std::string kBase =
    "[general]\nservername=a\nalertcontact=x@example.org\n[email]\nnomail=true\n"
    "[peers]\n"
    "b = http://127.0.0.1:5001,admin@example.org,secret=s1\n"
    "c = http://127.0.0.1:5002,admin@example.org,secret=s2\n"
    "plain = http://127.0.0.1:5003,admin@example.org\n";

ConfigLoad parse(const std::string& jobKeys) {
  return parseConfigText(kBase + "[job web]\ntype = tcp\ntarget = 127.0.0.1:80\n" + jobKeys, "/etc/checker/t.cfg");
}

std::string onlyError(const std::string& jobKeys) {
  ConfigLoad load = parse(jobKeys);
  EXPECT_EQ(load.errors.size(), 1u) << ::testing::PrintToString(load.errors);
  return load.errors.empty() ? "" : load.errors.front();
}

TEST(ConfirmConfig, NoKeysMeansNoConfirmation) {
  ConfigLoad load = parse("");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.jobs[0].confirm, ConfirmSettings{});
}

TEST(ConfirmConfig, DefaultQuorumIsAMajorityOfTheAskedAndThisInstance) {
  ConfigLoad one = parse("confirm_with = b\n");
  ASSERT_TRUE(one.ok()) << ::testing::PrintToString(one.errors);
  EXPECT_THAT(one.config.jobs[0].confirm.peers, ElementsAre("b"));
  EXPECT_EQ(one.config.jobs[0].confirm.quorum, 2u);  // of 2: both
  EXPECT_FALSE(one.config.jobs[0].confirm.holdWhenUnreachable);
  ConfigLoad two = parse("confirm_with = b, c\n");
  ASSERT_TRUE(two.ok()) << ::testing::PrintToString(two.errors);
  EXPECT_THAT(two.config.jobs[0].confirm.peers, ElementsAre("b", "c"));
  EXPECT_EQ(two.config.jobs[0].confirm.quorum, 2u);  // of 3
}

TEST(ConfirmConfig, QuorumAndUnreachableAreRead) {
  ConfigLoad load = parse("confirm_with = b,c\nconfirm_quorum = 3\nconfirm_unreachable = hold\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.jobs[0].confirm, (ConfirmSettings{{"b", "c"}, 3, true}));
  ConfigLoad alert = parse("confirm_with = b\nconfirm_quorum = 1\nconfirm_unreachable = alert\n");
  ASSERT_TRUE(alert.ok()) << ::testing::PrintToString(alert.errors);
  EXPECT_EQ(alert.config.jobs[0].confirm, (ConfirmSettings{{"b"}, 1, false}));
}

TEST(ConfirmConfig, EveryJobOfTheSectionCarriesIt) {
  ConfigLoad load = parseConfigText(kBase + "[job web]\ntype = tcp\ntargets = 127.0.0.1:80, 127.0.0.1:81\n"
                                            "confirm_with = c\n",
                                    "/etc/checker/t.cfg");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.errors.empty()) << ::testing::PrintToString(plan.errors);
  size_t confirmed = 0;
  for (const JobDefinition& job : plan.jobs) {
    if (job.section() != "web") continue;
    EXPECT_THAT(job.confirm().peers, ElementsAre("c"));
    EXPECT_EQ(job.confirm().quorum, 2u);
    ++confirmed;
  }
  EXPECT_EQ(confirmed, 2u);
}

TEST(ConfirmConfig, APeerMustBeInPeersWithASecret) {
  EXPECT_THAT(onlyError("confirm_with = nobody\n"),
              HasSubstr("t.cfg:13: [job web] confirm_with: peer 'nobody' is not in [peers]"));
  std::string plain = onlyError("confirm_with = b, plain\n");
  EXPECT_THAT(plain, HasSubstr("t.cfg:13: [job web] confirm_with: peer 'plain' has no secret (line 9)"));
  EXPECT_THAT(plain, HasSubstr("confirmation must be authenticated"));
}

TEST(ConfirmConfig, PeersMayBeListedAfterTheJob) {
  ConfigLoad load = parseConfigText(
      "[general]\nservername=a\nalertcontact=x@example.org\n[email]\nnomail=true\n"
      "[job web]\ntype = tcp\ntarget = 127.0.0.1:80\nconfirm_with = b\n"
      "[peers]\nb = http://127.0.0.1:5001,admin@example.org,secret=s1\n",
      "/etc/checker/t.cfg");
  EXPECT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
}

TEST(ConfirmConfig, HostileValuesNameTheirLine) {
  EXPECT_THAT(onlyError("confirm_with = ,\n"), HasSubstr("t.cfg:13: [job web] confirm_with: expected one or more"));
  EXPECT_THAT(onlyError("confirm_with = b, b\n"), HasSubstr("t.cfg:13: [job web] confirm_with: peer 'b' is named twice"));
  EXPECT_THAT(onlyError("confirm_with = b\nconfirm_quorum = 3\n"),
              HasSubstr("t.cfg:14: [job web] confirm_quorum: must be between 1 and 2"));
  EXPECT_THAT(onlyError("confirm_with = b\nconfirm_quorum = 0\n"), HasSubstr("t.cfg:14: [job web] confirm_quorum:"));
  EXPECT_THAT(onlyError("confirm_with = b\nconfirm_quorum = two\n"),
              HasSubstr("t.cfg:14: [job web] confirm_quorum: expected a whole number"));
  EXPECT_THAT(onlyError("confirm_with = b\nconfirm_unreachable = maybe\n"),
              HasSubstr("t.cfg:14: [job web] confirm_unreachable: expected alert or hold, got 'maybe'"));
  EXPECT_THAT(onlyError("confirm_quorum = 1\n"), HasSubstr("t.cfg:13: [job web] confirm_quorum: needs confirm_with"));
  EXPECT_THAT(onlyError("confirm_unreachable = hold\n"),
              HasSubstr("t.cfg:13: [job web] confirm_unreachable: needs confirm_with"));
}

}  // namespace
}  // namespace checker
