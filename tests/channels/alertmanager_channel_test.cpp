// The alertmanager channel through a real checkerd and its real mailer to
// real Alertmanagers (Debian's prometheus-alertmanager) on loopback (issue
// 18): a "cluster" of two Alertmanagers and a member that is down. A tcp
// job that fails (its port closed) is an active alert in both live
// members, with checker's labels, the configured one and a link to its
// page; while it keeps failing, checker re-sends it, so its endsAt moves
// on and it stays active; when the job recovers, the alert is resolved in
// both. The dead member never holds anything up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/alertmanager_process.h"
#include "support/daemon_process.h"
#include "support/http_receiver.h"
#include "support/loopback_ports.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kBin = CHECKER_BIN_DIR;

// The active (not silenced, not inhibited) alert whose job label is JOB in
// ALERTMANAGER; null when it has none.
nlohmann::json activeAlertOf(const AlertmanagerProcess& alertmanager, const std::string& job) {
  AlertmanagerProcess::Answer answer = alertmanager.get("/api/v2/alerts?active=true&silenced=false&inhibited=false");
  if (answer.status != 200) return nullptr;
  for (const nlohmann::json& alert : nlohmann::json::parse(answer.body)) {
    if (alert["labels"].value("job", "") == job) return alert;
  }
  return nullptr;
}

// Asks ALERTMANAGER (every 100 ms, at most WITHIN) until IS_WANTED holds for
// the job's active alert (or null); returns the last answer.
template <typename Wanted>
nlohmann::json waitForAlert(const AlertmanagerProcess& alertmanager, const std::string& job,
                            std::chrono::seconds within, Wanted isWanted) {
  nlohmann::json alert;
  for (auto deadline = std::chrono::steady_clock::now() + within; std::chrono::steady_clock::now() < deadline;) {
    alert = activeAlertOf(alertmanager, job);
    if (isWanted(alert)) break;
    std::this_thread::sleep_for(100ms);  // Alertmanager has no change feed to wait on: ask again
  }
  return alert;
}

TEST(AlertmanagerChannel, AFailingJobStaysActiveInEachMemberWhileFailingAndIsResolvedByItsRecovery) {
  AlertmanagerProcess first, second;
  ASSERT_TRUE(first.start()) << ::testing::PrintToString(first.log());
  ASSERT_TRUE(second.start()) << ::testing::PrintToString(second.log());
  TempDir dir;
  uint16_t target = closedLoopbackPort();
  uint16_t deadMember = closedLoopbackPort();
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = am-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
          "\nnotify_to = am\npage_url = https://status.example.org/\n"
          "[email]\nnomail = yes\n"
          "[channel am]\ntype = alertmanager\nurl = " + first.url() + ", http://127.0.0.1:" +
          std::to_string(deadMember) + ", " + second.url() + "/\nresend = 5s\nlabel.team = ops\ntimeout = 2s\n"
          "[job db]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(target) + "\nevery = 1s\n");
  DaemonProcess checkerd({kBin + "/checkerd", "-c", config});

  auto present = [](const nlohmann::json& alert) { return !alert.is_null(); };
  nlohmann::json alert = waitForAlert(first, "db", 30s, present);
  checkerd.drain();
  ASSERT_FALSE(alert.is_null()) << ::testing::PrintToString(checkerd.lines());
  EXPECT_EQ(alert["labels"]["alertname"], "CheckerJobFailing");
  EXPECT_EQ(alert["labels"]["instance"], "am-test");
  EXPECT_EQ(alert["labels"]["severity"], "critical");
  EXPECT_EQ(alert["labels"]["team"], "ops");
  EXPECT_THAT(alert["generatorURL"].get<std::string>(), HasSubstr("https://status.example.org/job/"));
  EXPECT_THAT(alert["annotations"]["description"].get<std::string>(), HasSubstr("127.0.0.1"));
  EXPECT_FALSE(waitForAlert(second, "db", 10s, present).is_null()) << "every live member gets the alert";

  // Still failing: re-sent every 5 s, each time with an endsAt 4 re-sends ahead.
  std::string firstEnd = alert["endsAt"];
  nlohmann::json later = waitForAlert(first, "db", 20s, [&](const nlohmann::json& a) {
    return !a.is_null() && a["endsAt"].get<std::string>() > firstEnd;
  });
  ASSERT_FALSE(later.is_null());
  EXPECT_GT(later["endsAt"].get<std::string>(), firstEnd) << "re-sent while failing";
  EXPECT_EQ(later["startsAt"], alert["startsAt"]) << "the same episode";
  EXPECT_FALSE(checkerd.waitForLine("alert re-sent: db still failing", 10s).empty());
  // The dead member costs nothing: the entries were accepted, none waits.
  CommandResult status = runCommand(kBin + "/checker status -c " + config + " --json");
  nlohmann::json state = nlohmann::json::parse(status.output);
  EXPECT_LE(state["outbox"]["pending"].get<int>(), 1) << "at most the re-send in flight: " << status.output;
  EXPECT_TRUE(state["outbox"]["refused"].empty()) << status.output;

  // Recovered: resolved in both members.
  UniqueFd listener = listenOnLoopback(target);
  ASSERT_TRUE(listener.valid());
  auto gone = [](const nlohmann::json& a) { return a.is_null(); };
  EXPECT_TRUE(waitForAlert(first, "db", 30s, gone).is_null()) << ::testing::PrintToString(checkerd.lines());
  EXPECT_TRUE(waitForAlert(second, "db", 10s, gone).is_null());
}

}  // namespace
}  // namespace checker::test

namespace checker::test {
namespace {

// An Alertmanager (here a receiver standing in for one) that refuses the
// alert for good (HTTP 400: a label it rejects, say): the refusal is kept
// and shown, and the alert is not re-sent every `resend` into one refusal
// more each time.
TEST(AlertmanagerChannel, AnAlertRefusedForGoodIsNotResentIntoAPileOfRefusals) {
  HttpReceiver refusing;
  refusing.answerWith({400, 400, 400, 400, 400});
  TempDir dir;
  uint16_t target = closedLoopbackPort();
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = am-refused\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
          "\nnotify_to = am\n"
          "[email]\nnomail = yes\n"
          "[channel am]\ntype = alertmanager\nurl = " + refusing.url("/") + "\nresend = 5s\n"
          "[job db]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(target) + "\nevery = 1s\n");
  DaemonProcess checkerd({kBin + "/checkerd", "-c", config});
  ASSERT_EQ(refusing.waitFor(1, 30s).size(), 1u) << ::testing::PrintToString(checkerd.lines());
  ASSERT_FALSE(checkerd.waitForLine("REFUSED for good", 10s).empty());
  // Two re-send rounds go by (5 s each): nothing more is sent.
  EXPECT_EQ(refusing.waitFor(2, 11s).size(), 1u) << ::testing::PrintToString(checkerd.lines());
  CommandResult status = runCommand(kBin + "/checker status -c " + config + " --json");
  nlohmann::json state = nlohmann::json::parse(status.output);
  EXPECT_EQ(state["outbox"]["refused"].size(), 1u) << status.output;
}

}  // namespace
}  // namespace checker::test
