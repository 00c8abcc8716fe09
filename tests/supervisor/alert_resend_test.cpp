// Which failing jobs get their Alertmanager alert re-sent (supervisor/
// alert_resend.h): the rule alone, no loop, no state.
#include <gtest/gtest.h>

#include <memory>

#include "supervisor/alert_resend.h"

namespace checker {
namespace {

JobDefinition job(const std::string& name) {
  auto settings = std::make_shared<JobSectionSettings>();
  settings->name = name;
  settings->type = "tcp";
  return JobDefinition("tcp:" + name, settings);
}

JobRecord failing(bool notified) {
  JobRecord r;
  r.policy.health = JobHealth::failing;
  r.policy.consecutiveFailures = 3;
  r.policy.firstFailureUnixMs = 1000;
  r.policy.notifiedFailure = notified;
  return r;
}

std::vector<std::string> namesOf(const std::vector<const JobAlertView*>& due) {
  std::vector<std::string> names;
  for (const JobAlertView* view : due) names.push_back(view->job->name());
  return names;
}

TEST(AlertResend, OnlyFailingJobsThatWereToldAboutNameTheChannelAndHaveNothingWaiting) {
  JobDefinition told = job("told"), quiet = job("quiet"), elsewhere = job("elsewhere"), waiting = job("waiting"),
                healthy = job("healthy");
  JobRecord notified = failing(true), notYet = failing(false), ok;
  ok.policy.health = JobHealth::ok;
  std::vector<JobAlertView> jobs = {
      {&told, &notified, {"email", "am"}},
      {&quiet, &notYet, {"am"}},           // its policy has not alerted yet
      {&elsewhere, &notified, {"hooks"}},  // not this channel
      {&waiting, &notified, {"am"}},       // its last entry for am is not delivered yet
      {&healthy, &ok, {"am"}},
  };
  std::set<JobChannel> pending = {{waiting.id(), "am"}, {told.id(), "hooks"}};
  EXPECT_EQ(namesOf(resendsDue("am", jobs, pending)), std::vector<std::string>{"told"});
  EXPECT_EQ(namesOf(resendsDue("hooks", jobs, pending)), std::vector<std::string>{"elsewhere"});
  EXPECT_TRUE(resendsDue("other", jobs, pending).empty());
}

}  // namespace
}  // namespace checker
