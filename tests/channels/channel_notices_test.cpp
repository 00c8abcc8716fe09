// Notices to channels through a real checkerd and its real mailer (issue
// 18): a tcp job that fails (its port closed) and then recovers (a
// listener opened on that port), with notify_to naming the built-in email
// (nomail: accepted without sending), a webhook whose receiver answers 503
// twice before it takes the notice, and a webhook whose receiver refuses
// it with 400. The failure arrives signed after the retries, nothing is
// lost; the 400 is kept for good and shown by `checker status`; the
// recovery arrives too; and peers are still told the mail path is healthy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "channels/webhook_payload.h"
#include "support/daemon_process.h"
#include "support/http_receiver.h"
#include "support/loopback_http.h"
#include "support/loopback_ports.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kBin = CHECKER_BIN_DIR;

TEST(ChannelNotices, AFailureReachesEachChannelOnceAcceptedAndARefusalIsKeptVisible) {
  TempDir dir;
  HttpReceiver hooks, refusing;
  hooks.answerWith({503, 503});
  refusing.answerWith({400});
  uint16_t target = closedLoopbackPort();
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = chan-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
          "\nnotify_to = email, hooks, refusing\n"
          "[email]\nnomail = yes\n"
          "[peerd]\nlisten = 127.0.0.1:0\ncheck_every = day\n"
          "[channel hooks]\ntype = webhook\nurl = " + hooks.url("/hook") + "\nsecret = s3cret\nheader.X-Team = ops\n"
          "[channel refusing]\ntype = webhook\nurl = " + refusing.url("/in") + "\n"
          "[job db]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(target) + "\nevery = 1s\n");
  DaemonProcess checkerd({kBin + "/checkerd", "-c", config});
  std::string listening = checkerd.waitForLine("peerd: answering peers on 127.0.0.1:", 20s);
  ASSERT_FALSE(listening.empty()) << ::testing::PrintToString(checkerd.lines());
  int peerdPort = std::stoi(listening.substr(listening.rfind(':') + 1));

  // Twice 503 (retried after 1 s, then 2 s), then accepted: three POSTs of the same notice.
  std::vector<ReceivedRequest> got = hooks.waitFor(3, 30s);
  checkerd.drain();
  ASSERT_EQ(got.size(), 3u) << ::testing::PrintToString(checkerd.lines());
  EXPECT_EQ(got[0].answeredStatus, 503);
  EXPECT_EQ(got[2].answeredStatus, 200);
  EXPECT_EQ(got[0].body, got[2].body) << "the same entry sent again";
  const ReceivedRequest& failure = got[2];
  EXPECT_EQ(failure.method, "POST");
  EXPECT_EQ(failure.target, "/hook");
  EXPECT_EQ(failure.header("x-team"), "ops");
  std::string timestamp = failure.header("x-checker-timestamp");
  EXPECT_EQ(failure.header("x-checker-signature"), channels::webhookSignature("s3cret", timestamp, failure.body));
  EXPECT_NE(failure.header("x-checker-signature"), channels::webhookSignature("guess", timestamp, failure.body));
  nlohmann::json payload = nlohmann::json::parse(failure.body);
  EXPECT_EQ(payload["version"], 1);
  EXPECT_EQ(payload["instance"], "chan-test");
  EXPECT_EQ(payload["job"]["name"], "db");
  EXPECT_EQ(payload["state"], "failing");

  // The 400 is not retried, and is shown as refused for good.
  ASSERT_EQ(refusing.waitFor(1, 20s).size(), 1u);
  ASSERT_FALSE(checkerd.waitForLine("REFUSED for good", 20s).empty());
  CommandResult status = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(status.output, HasSubstr("to webhook refusing"));
  EXPECT_THAT(status.output, HasSubstr("REFUSED for good"));
  EXPECT_THAT(status.output, HasSubstr("HTTP 400"));
  // A channel's trouble is not the mail path's: peers still hear True or JobProblem, never MailProblem.
  std::string word = loopbackExchange(peerdPort, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(word, ::testing::Not(HasSubstr("MailProblem")));

  // The job recovers: the recovery reaches the webhook too.
  UniqueFd listener = listenOnLoopback(target);
  ASSERT_TRUE(listener.valid());
  got = hooks.waitFor(4, 30s);
  ASSERT_EQ(got.size(), 4u) << ::testing::PrintToString(checkerd.lines());
  EXPECT_EQ(nlohmann::json::parse(got[3].body)["state"], "recovered");
  EXPECT_EQ(refusing.waitFor(2, 20s).size(), 2u) << "the refusing one gets the recovery too";
  for (const std::string& line : checkerd.lines()) EXPECT_THAT(line, ::testing::Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace checker::test

namespace checker::test {
namespace {

// A peer that does not answer: its admin is mailed (nomail: accepted
// without sending), and [peerd] notify_to's webhook gets the notice too;
// the email self-check's notices would go to [email] notify_to's.
TEST(ChannelNotices, APeerChecksNoticeReachesPeerdsChannelsBesideTheAdminsMail) {
  TempDir dir;
  HttpReceiver hooks;
  uint16_t silentPeer = closedLoopbackPort();
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = peer-chan\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") + "\n"
      "[email]\nnomail = yes\n"
      "[peerd]\nlisten = 127.0.0.1:0\ncheck_every = 1s\ntimeout = 1s\nnotify = every\nfailures_before_notify = 1\n"
      "notify_to = hooks\n"
      "[peers]\nb = http://127.0.0.1:" + std::to_string(silentPeer) + ",b-admin@example.org\n"
      "[channel hooks]\ntype = webhook\nurl = " + hooks.url("/hook") + "\n");
  DaemonProcess checkerd({kBin + "/checkerd", "-c", config});
  std::vector<ReceivedRequest> got = hooks.waitFor(1, 30s);
  checkerd.drain();
  ASSERT_FALSE(got.empty()) << ::testing::PrintToString(checkerd.lines());
  nlohmann::json payload = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(payload["job"]["type"], "peer");
  EXPECT_EQ(payload["state"], "failing");
  EXPECT_FALSE(checkerd.waitForLine("would send entry", 20s).empty()) << "the admin's mail still goes (nomail logs it)";
  bool toAdmin = false;
  for (const std::string& line : checkerd.lines()) toAdmin |= line.find("b-admin@example.org") != std::string::npos;
  EXPECT_TRUE(toAdmin) << ::testing::PrintToString(checkerd.lines());
}

}  // namespace
}  // namespace checker::test
