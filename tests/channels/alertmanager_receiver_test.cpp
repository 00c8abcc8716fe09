// The Alertmanager payload (channels/alertmanager_alerts.h) against a real
// Alertmanager 0.25 from Debian on loopback: what checker would POST to
// /api/v2/alerts is accepted, the failing job's alert is active with the
// labels checker gives it, and the recovery's endsAt resolves it; a group
// (channels/notice_group.h) makes one active alert per failing notice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "channels/alertmanager_alerts.h"
#include "channels/notice_group.h"
#include "support/alertmanager_process.h"

namespace checker::test {
namespace {

using channels::NoticeFacts;
using channels::NoticeState;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The alerts Alertmanager holds as active, by their job label.
nlohmann::json activeAlerts(const AlertmanagerProcess& alertmanager) {
  AlertmanagerProcess::Answer answer = alertmanager.get("/api/v2/alerts?active=true&silenced=false&inhibited=false");
  if (answer.status != 200) return nlohmann::json::array();
  return nlohmann::json::parse(answer.body);
}

TEST(AlertmanagerReceiver, AFailingJobsAlertIsActiveWithItsLabelsThenResolvedByItsRecovery) {
  AlertmanagerProcess alertmanager;
  ASSERT_TRUE(alertmanager.start()) << ::testing::PrintToString(alertmanager.log());
  NoticeFacts facts;
  facts.instance = "web-1";
  facts.jobId = "http:https://shop.example.org/health";
  facts.jobName = "shop health";
  facts.jobType = "http";
  facts.state = NoticeState::failing;
  facts.outcome = "failed";
  facts.message = "HTTP 503 from https://shop.example.org/health";
  facts.atUnixMs = nowMs();
  facts.sinceUnixMs = facts.atUnixMs - 120'000;
  facts.failures = 3;
  facts.pageUrl = "http://web-1.example.org:5000";
  std::map<std::string, std::string> extra{{"team", "shop"}, {"alertname", "mine"}};

  AlertmanagerProcess::Answer posted =
      alertmanager.post("/api/v2/alerts", channels::alertmanagerBody(facts, extra, 60'000));
  ASSERT_EQ(posted.status, 200) << posted.body;
  nlohmann::json alerts = activeAlerts(alertmanager);
  ASSERT_EQ(alerts.size(), 1u) << alerts.dump();
  const nlohmann::json& alert = alerts[0];
  EXPECT_EQ(alert["status"]["state"], "active");
  EXPECT_EQ(alert["labels"]["alertname"], "CheckerJobFailing") << "checker's own labels win over configured ones";
  EXPECT_EQ(alert["labels"]["job"], "shop health");
  EXPECT_EQ(alert["labels"]["instance"], "web-1");
  EXPECT_EQ(alert["labels"]["severity"], "critical");
  EXPECT_EQ(alert["labels"]["team"], "shop");
  EXPECT_THAT(alert["annotations"].dump(), ::testing::HasSubstr("HTTP 503"));
  EXPECT_THAT(alert["generatorURL"].get<std::string>(), ::testing::StartsWith("http://web-1.example.org:5000/job/"));

  facts.state = NoticeState::recovered;
  facts.outcome = "ok";
  facts.atUnixMs = nowMs();
  posted = alertmanager.post("/api/v2/alerts", channels::alertmanagerBody(facts, extra, 60'000));
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(activeAlerts(alertmanager).size(), 0u) << "the recovery's endsAt (now) resolves it";
}

NoticeFacts groupNotice(const std::string& id, NoticeState state) {
  NoticeFacts facts;
  facts.instance = "web-1";
  facts.jobId = id;
  facts.jobName = "job " + id;
  facts.jobType = "exec";
  facts.state = state;
  facts.outcome = state == NoticeState::failing ? "failed" : "ok";
  facts.message = "exit status 1 from " + id;
  facts.atUnixMs = nowMs();
  facts.sinceUnixMs = facts.atUnixMs - 60'000;
  facts.failures = state == NoticeState::failing ? 1 : 0;
  return facts;
}

std::set<std::string> activeJobIds(const AlertmanagerProcess& alertmanager) {
  std::set<std::string> ids;
  for (const nlohmann::json& alert : activeAlerts(alertmanager)) {
    if (alert["status"]["state"] == "active") ids.insert(alert["labels"]["job_id"].get<std::string>());
  }
  return ids;
}

TEST(AlertmanagerReceiver, AGroupMakesOneActiveAlertPerFailingNoticeAndItsRecoveriesResolveThem) {
  AlertmanagerProcess alertmanager;
  ASSERT_TRUE(alertmanager.start()) << ::testing::PrintToString(alertmanager.log());
  // Three jobs failing and one recovering (never active) in one group.
  std::vector<NoticeFacts> group = {groupNotice("a", NoticeState::failing), groupNotice("b", NoticeState::failing),
                                    groupNotice("c", NoticeState::recovered), groupNotice("d", NoticeState::failing)};
  std::map<std::string, std::string> extra{{"team", "ops"}};
  AlertmanagerProcess::Answer posted =
      alertmanager.post("/api/v2/alerts", channels::alertmanagerGroupBody(group, extra, 60'000));
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(activeJobIds(alertmanager), (std::set<std::string>{"a", "b", "d"}));
  for (const nlohmann::json& alert : activeAlerts(alertmanager)) {
    EXPECT_EQ(alert["labels"]["alertname"], "CheckerJobFailing");
    EXPECT_EQ(alert["labels"]["instance"], "web-1");
    EXPECT_EQ(alert["labels"]["team"], "ops");
    EXPECT_EQ(alert["labels"]["job"], "job " + alert["labels"]["job_id"].get<std::string>());
  }

  // Two of them recover together: one group resolves both, the third stays.
  std::vector<NoticeFacts> recoveries = {groupNotice("a", NoticeState::recovered),
                                         groupNotice("d", NoticeState::recovered)};
  posted = alertmanager.post("/api/v2/alerts", channels::alertmanagerGroupBody(recoveries, extra, 60'000));
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(activeJobIds(alertmanager), (std::set<std::string>{"b"}));
}

}  // namespace
}  // namespace checker::test
