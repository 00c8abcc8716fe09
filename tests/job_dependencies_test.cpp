// The keys of issue 19 that every job section has: depends_on (known
// sections, no cycles, errors at FILE:LINE) and flap detection's keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/job_catalog.h"

namespace checker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char* kHead = "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n";  // lines 1-5

ConfigLoad parse(const std::string& jobs) { return parseConfigText(kHead + jobs, "/etc/checker/t.cfg"); }

// A tcp job section; each has its own port, so each is its own job.
std::string job(const std::string& name, const std::string& extra = "") {
  static int port = 1;
  return "[job " + name + "]\ntype=tcp\ntarget=127.0.0.1:" + std::to_string(port++) + "\n" + extra;
}

TEST(JobDependencies, ASectionMayDependOnOthersAndItsJobsKnowIt) {
  ConfigLoad load = parse(job("router") + job("dns") + job("web", "depends_on = router, dns\n"));
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_THAT(load.config.jobs[2].dependsOn, ElementsAre("router", "dns"));
  JobPlan plan = planJobs(load.config);
  ASSERT_TRUE(plan.errors.empty()) << ::testing::PrintToString(plan.errors);
  EXPECT_THAT(plan.jobs[2].settings().dependsOn, ElementsAre("router", "dns"));
  EXPECT_THAT(describeJob(plan.jobs[2]), HasSubstr("depends_on=router,dns"));
}

TEST(JobDependencies, AnUnknownSectionIsAnErrorAtItsLine) {
  ConfigLoad load = parse(job("web", "depends_on = ruoter\n"));
  EXPECT_THAT(load.errors, ElementsAre("/etc/checker/t.cfg:9: [job web] depends_on: no [job ruoter]"));
}

TEST(JobDependencies, ItselfIsAnError) {
  ConfigLoad load = parse(job("web", "depends_on = web\n"));
  EXPECT_THAT(load.errors, ElementsAre(HasSubstr("t.cfg:9: [job web] depends_on: a job cannot depend on itself")));
}

TEST(JobDependencies, ACycleIsOneErrorThatSpellsItOut) {
  // a -> b -> c -> a, and d -> a (not part of the loop).
  ConfigLoad load = parse(job("a", "depends_on = b\n") + job("b", "depends_on = c\n") + job("c", "depends_on = a\n") +
                          job("d", "depends_on = a\n"));
  ASSERT_EQ(load.errors.size(), 1u) << ::testing::PrintToString(load.errors);
  EXPECT_THAT(load.errors[0], HasSubstr("t.cfg:9: [job a] depends_on: a cycle: a -> b -> c -> a"));
}

TEST(JobDependencies, ADiamondIsNotACycle) {
  ConfigLoad load = parse(job("top") + job("left", "depends_on = top\n") + job("right", "depends_on = top\n") +
                          job("bottom", "depends_on = left, right\n"));
  EXPECT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
}

TEST(JobDependencies, ALongChainIsCheckedWithoutRecursion) {
  std::string jobs;
  const int n = 20000;
  for (int i = 0; i < n; ++i) jobs += job("j" + std::to_string(i), i + 1 < n ? "depends_on = j" + std::to_string(i + 1) + "\n" : "depends_on = j0\n");
  ConfigLoad load = parse(jobs);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_THAT(load.errors[0], HasSubstr("a cycle: j0 -> j1 -> j2"));
}

TEST(FlapKeys, DefaultOnAtFiftyAndTwentyFivePercent) {
  ConfigLoad load = parse(job("web"));
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.jobs[0].notify.flap, (FlapSettings{true, 50, 25}));
}

TEST(FlapKeys, EachCanBeSet) {
  ConfigLoad load = parse(job("web", "flap_high = 40\nflap_low = 10\n") + job("db", "flapping = off\n"));
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.jobs[0].notify.flap, (FlapSettings{true, 40, 10}));
  EXPECT_FALSE(load.config.jobs[1].notify.flap.enabled);
  JobPlan plan = planJobs(load.config);
  EXPECT_THAT(describeJob(plan.jobs[1]), HasSubstr("flapping=off"));
}

TEST(FlapKeys, LowMustBeBelowHigh) {
  ConfigLoad load = parse(job("web", "flap_high = 30\nflap_low = 30\n"));
  EXPECT_THAT(load.errors, ElementsAre("/etc/checker/t.cfg:9: [job web] flap_high: flap_low (30%) must be below flap_high (30%)"));
  load = parse(job("web", "flap_high = 101\n"));
  EXPECT_THAT(load.errors, ElementsAre(HasSubstr("t.cfg:9: [job web] flap_high")));
}

}  // namespace
}  // namespace checker
