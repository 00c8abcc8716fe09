// Operator tools for alert channels (issue 18) through a real checkerd, its
// mailer and peerd, with loopback receivers: `checker test-channel` sends a
// test notice through the outbox and prints the receiver's answer (200:
// exit 0; 500: exit 1, one attempt and the entry gone; a port nothing
// listens on: exit 1; a mistyped name: exit 2 naming the nearest), and
// `checker status` (text and --json) and the status page show each
// channel's health (last success, pending, last error, refused) without
// its URL, secret or header values.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/unique_fd.h"
#include "support/daemon_process.h"
#include "support/http_receiver.h"
#include "support/loopback_ports.h"
#include "support/loopback_http.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

const std::string kBin = CHECKER_BIN_DIR;

class ChannelHealth : public ::testing::Test {
 protected:
  void SetUp() override {
    refusing.answerWith({400, 400, 400, 400});
    config = dir.write(
        "settings.cfg",
        "[general]\nservername = health-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
            "\n[email]\nnomail = yes\n"
            "[peerd]\nlisten = 127.0.0.1:0\ncheck_every = day\n"
            "[channel hooks]\ntype = webhook\nurl = " + hooks.url("/secret-path-4711") +
            "\nsecret = s3cret-hmac\nheader.X-Token = tok-value-99\ntimeout = 5s\n"
            "[channel down]\ntype = slack\nurl = http://127.0.0.1:" + std::to_string(closedLoopbackPort()) +
            "/T000/B000/slack-secret\ntimeout = 5s\n"
            "[channel refusing]\ntype = ntfy\nurl = " + refusing.url("/") + "\ntopic = alerts\ntoken = tk-secret-7\n"
            "[job db]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(closedLoopbackPort()) +
            "\nevery = 1s\nnotify_to = refusing\n");
    checkerd = std::make_unique<DaemonProcess>(std::vector<std::string>{kBin + "/checkerd", "-c", config});
    std::string listening = checkerd->waitForLine("peerd: answering peers on 127.0.0.1:", 20s);
    ASSERT_FALSE(listening.empty()) << ::testing::PrintToString(checkerd->lines());
    peerdPort = std::stoi(listening.substr(listening.rfind(':') + 1));
  }

  CommandResult testChannel(const std::string& name) {
    return runCommand(kBin + "/checker test-channel -c " + config + " " + name);
  }

  // `checker status --json`'s channel NAME once PREDICATE holds of it (the
  // state is written within 50 ms of a result; there is no event to wait
  // on but the file, so this polls, bounded), else its last value.
  nlohmann::json channelWhen(const std::string& name, const std::function<bool(const nlohmann::json&)>& predicate) {
    nlohmann::json found;
    for (auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
      CommandResult status = runCommand(kBin + "/checker status --json -c " + config + " 2>/dev/null");
      nlohmann::json doc = nlohmann::json::parse(status.output, nullptr, false);
      if (doc.is_discarded()) continue;
      for (const nlohmann::json& channel : doc["channels"]) {
        if (channel["name"] == name) found = channel;
      }
      if (!found.is_null() && predicate(found)) break;
    }
    return found;
  }

  void expectNoSecret(const std::string& text) {
    for (const char* secret : {"secret-path-4711", "s3cret-hmac", "tok-value-99", "slack-secret", "tk-secret-7"}) {
      EXPECT_THAT(text, Not(HasSubstr(secret)));
    }
  }

  TempDir dir;
  HttpReceiver hooks, refusing;
  std::string config;
  std::unique_ptr<DaemonProcess> checkerd;
  int peerdPort = 0;
};

TEST_F(ChannelHealth, TestChannelPrintsTheReceiversAnswerAndStatusShowsTheHealth) {
  // 200: accepted, exit 0, the receiver got a test notice.
  CommandResult ok = testChannel("hooks");
  EXPECT_EQ(ok.exitCode, 0) << ok.output << ::testing::PrintToString(checkerd->lines());
  EXPECT_THAT(ok.output, HasSubstr("accepted: webhook hooks: HTTP 200 from 127.0.0.1"));
  std::vector<ReceivedRequest> got = hooks.waitFor(1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "/secret-path-4711");
  EXPECT_EQ(nlohmann::json::parse(got[0].body)["state"], "test");
  nlohmann::json row = channelWhen("hooks", [](const nlohmann::json& c) { return c["last_success_unix_ms"] > 0; });
  EXPECT_GT(row["last_success_unix_ms"], 0) << row;
  EXPECT_EQ(row["type"], "webhook");
  EXPECT_EQ(row["pending"], 0);

  // 500: not accepted, exit 1, the answer printed; one attempt, then gone.
  hooks.answerWith({500});
  CommandResult failed = testChannel("hooks");
  EXPECT_EQ(failed.exitCode, 1) << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("not accepted: webhook hooks: HTTP 500 from 127.0.0.1: refused"));
  ASSERT_EQ(hooks.waitFor(2, 5s).size(), 2u);
  row = channelWhen("hooks", [](const nlohmann::json& c) { return c["last_error_unix_ms"] > 0; });
  EXPECT_THAT(row["last_error"].get<std::string>(), HasSubstr("HTTP 500"));
  EXPECT_GE(row["last_error_unix_ms"], row["last_success_unix_ms"]);
  EXPECT_EQ(row["pending"], 0) << "a test notice is not kept for a retry";
  EXPECT_EQ(row["refused"], 0);
  EXPECT_FALSE(checkerd->waitForLine("(a test notice) not accepted, deleted", 5s).empty());

  // Nothing listens: exit 1, and the answer says why.
  CommandResult down = testChannel("down");
  EXPECT_EQ(down.exitCode, 1) << down.output;
  EXPECT_THAT(down.output, HasSubstr("not accepted: slack down: no answer from 127.0.0.1"));
  expectNoSecret(down.output);

  // The built-in email with nomail: the mailer's answer, accepted.
  CommandResult mail = testChannel("email");
  EXPECT_EQ(mail.exitCode, 0) << mail.output;
  EXPECT_THAT(mail.output, HasSubstr("not sent (nomail)"));

  // A name the config does not know: the nearest one.
  CommandResult typo = testChannel("hoks");
  EXPECT_EQ(typo.exitCode, 2) << typo.output;
  EXPECT_THAT(typo.output, HasSubstr("no channel 'hoks'; did you mean 'hooks'?"));

  // The job's failure notice refused for good by its channel: counted there.
  row = channelWhen("refusing", [](const nlohmann::json& c) { return c["refused"] >= 1; });
  EXPECT_GE(row["refused"], 1) << row;
  EXPECT_THAT(row["last_error"].get<std::string>(), HasSubstr("HTTP 400"));
  EXPECT_EQ(row["last_success_unix_ms"], 0);
  EXPECT_EQ(row["type"], "ntfy");

  CommandResult text = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(text.output, HasSubstr("CHANNEL"));
  EXPECT_THAT(text.output, ::testing::ContainsRegex("hooks +webhook +[0-9]+s ago +0 +[0-9]+s ago: webhook hooks: HTTP 500"));
  EXPECT_THAT(text.output, ::testing::ContainsRegex("refusing +ntfy +- +0, [0-9]+ refused"));
  expectNoSecret(text.output);
  CommandResult json = runCommand(kBin + "/checker status --json -c " + config);
  expectNoSecret(json.output);

  // The page: a row per channel, never a URL, secret or header value.
  std::string page = loopbackExchange(
      peerdPort, "GET / HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(page, HasSubstr("<section id=\"channels\">"));
  EXPECT_THAT(page, HasSubstr("data-channel=\"hooks\""));
  EXPECT_THAT(page, HasSubstr("data-channel=\"refusing\""));
  EXPECT_THAT(page, HasSubstr("HTTP 500 from 127.0.0.1"));
  expectNoSecret(page);
  checkerd->drain();
  for (const std::string& line : checkerd->lines()) expectNoSecret(line);
}

}  // namespace
}  // namespace checker::test
