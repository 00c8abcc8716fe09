// The instance's mail health (state/mail_health.h), what peers will be
// told: the last self-check, and alerts stuck in the outbox.
#include <gtest/gtest.h>

#include "state/mail_health.h"

namespace checker {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

OutboxStatus entry(uint64_t id, int64_t ageMs, uint32_t attempts, bool refused = false) {
  return {id, attempts, kNow - ageMs, kNow, refused};
}

TEST(MailHealth, HealthyWithoutAnythingToSay) {
  EXPECT_FALSE(mailHealth(std::nullopt, {}, kNow).problem);
  EXPECT_FALSE(mailHealth(SelfCheckState{kNow, true, "ok"}, {}, kNow).problem);
}

TEST(MailHealth, AFailedSelfCheckIsAProblemNamingWhy) {
  MailHealth health = mailHealth(SelfCheckState{kNow, false, "imap auth: login denied"}, {}, kNow);
  EXPECT_TRUE(health.problem);
  EXPECT_EQ(health.why, "the last email self-check failed: imap auth: login denied");
}

TEST(MailHealth, AnAlertStuckLongerThanTheRetryWindowIsAProblem) {
  std::vector<OutboxStatus> young = {entry(1, kOutboxRetryWindowMs - 1, 9)};
  EXPECT_FALSE(mailHealth(SelfCheckState{kNow, true, ""}, young, kNow).problem);
  std::vector<OutboxStatus> stuck = {entry(1, 1000, 1), entry(7, kOutboxRetryWindowMs + 60'000, 12)};
  MailHealth health = mailHealth(SelfCheckState{kNow, true, ""}, stuck, kNow);
  EXPECT_TRUE(health.problem);
  EXPECT_EQ(health.why, "outbox entry 7 undelivered for 61 min after 12 attempt(s)");
}

// A webhook or chat receiver that is down (issue 18's channels) is that
// channel's trouble, not the mail path's: peers are not told MailProblem.
TEST(MailHealth, AStuckChannelEntryIsNotTheMailPathsProblem) {
  OutboxStatus hook = entry(3, kOutboxRetryWindowMs + 60'000, 20);
  hook.channel = "hooks";
  EXPECT_FALSE(mailHealth(SelfCheckState{kNow, true, ""}, {hook}, kNow).problem);
  hook.channel = "";
  EXPECT_TRUE(mailHealth(SelfCheckState{kNow, true, ""}, {hook}, kNow).problem) << "the same entry as a mail is";
}

// An email channel's mail carries its channel's name (so it counts as that
// channel's), but it goes through the same mail server: it is the mail path's.
TEST(MailHealth, AStuckMailOfAnEmailChannelIsTheMailPathsProblem) {
  OutboxStatus mail = entry(4, kOutboxRetryWindowMs + 60'000, 20);
  mail.channel = "ops-mail";
  mail.mail = true;
  EXPECT_TRUE(mailHealth(SelfCheckState{kNow, true, ""}, {mail}, kNow).problem);
}

TEST(MailHealth, NotYetTriedOrRefusedForGoodIsNotTheMailPathsProblem) {
  // Never tried: nothing has failed yet (checkerd was down, say).
  EXPECT_FALSE(mailHealth(std::nullopt, {entry(1, 2 * kOutboxRetryWindowMs, 0)}, kNow).problem);
  // Refused for good: that message's problem, shown by status.
  EXPECT_FALSE(mailHealth(std::nullopt, {entry(2, 2 * kOutboxRetryWindowMs, 1, true)}, kNow).problem);
}

}  // namespace
}  // namespace checker
