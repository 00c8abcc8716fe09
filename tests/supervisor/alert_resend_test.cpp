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
  OutboxHolds holds;
  holds.pending = {{waiting.id(), "am"}, {told.id(), "hooks"}};
  EXPECT_EQ(namesOf(resendsDue("am", jobs, holds)), std::vector<std::string>{"told"});
  EXPECT_EQ(namesOf(resendsDue("hooks", jobs, holds)), std::vector<std::string>{"elsewhere"});
  EXPECT_TRUE(resendsDue("other", jobs, holds).empty());
}

// A receiver that refused the job's alert for good in this episode (a bad
// label, say) is not sent it again every minute, each refusal kept in the
// outbox; one refused in an earlier episode does not stop this one's.
TEST(AlertResend, ARefusalForGoodInThisEpisodeStopsTheResendsOneBeforeItDoesNot) {
  JobDefinition refusedNow = job("refusedNow"), refusedBefore = job("refusedBefore");
  JobRecord notified = failing(true);  // failing since 1000
  std::vector<JobAlertView> jobs = {{&refusedNow, &notified, {"am"}}, {&refusedBefore, &notified, {"am"}}};
  OutboxHolds holds;
  holds.lastRefusedCreatedMs = {{{refusedNow.id(), "am"}, 1000}, {{refusedBefore.id(), "am"}, 999}};
  EXPECT_EQ(namesOf(resendsDue("am", jobs, holds)), std::vector<std::string>{"refusedBefore"});
}

}  // namespace
}  // namespace checker
