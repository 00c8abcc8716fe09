// The notice gate end to end (issue 19): a real checkerd mailing through
// the real OpenSMTPD + Dovecot of the "mail" fixture, its admin's IMAP
// inbox read back.
//   - A router job and ten jobs that depend on it, all failing at once: the
//     admin gets one mail, the router's; the ten are recorded as blocked.
//   - A job that flaps: one "is flapping" mail, nothing while it flaps, one
//     more when it settles.
//
// Mailbox users (tests/mail/CMakeLists.txt): u37 and u38.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e/gate_e2e.h"
#include "support/checker_instance.h"
#include "support/loopback_ports.h"
#include "support/mail_fixture.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int kChildren = 10;

class NoticeGateE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
    tag_ = std::to_string(::getpid());
  }
  void TearDown() override {
    if (HasFailure()) self_.dumpLog();
  }

  void start(int admin, const std::string& jobs) {
    self_.name = "gate-" + tag_;
    self_.port = freeLoopbackPort();
    self_.admin = admin;
    mail_.clearMailbox(admin);
    InstanceConfig c;
    c.stateDir = dir_.file("state");
    c.smtpPort = mail_.submissionPort;
    c.emailExtra = "selfcheck_every = 1h\n";
    c.jobs = jobs;
    self_.config = dir_.write("gate.cfg", instanceConfig(self_, mail_, c));
    ::chmod(self_.config.c_str(), 0600);
    ASSERT_NO_FATAL_FAILURE(self_.start());
  }

  template <typename Predicate>
  nlohmann::json statusWhen(Predicate predicate, std::chrono::milliseconds timeout) {
    return checker::test::statusWhen(self_.config, predicate, timeout);
  }
  static const nlohmann::json* job(const nlohmann::json& status, const std::string& name) {
    return jobIn(status, name);
  }

  TempDir dir_;
  MailFixture mail_;
  std::string tag_;
  CheckerInstance self_;
};

TEST_F(NoticeGateE2e, ARouterFailingWithTenJobsBehindItIsOneMail) {
  uint16_t routerPort = closedLoopbackPort();
  UniqueFd router = listenOnLoopback(routerPort);
  std::vector<uint16_t> ports;
  std::vector<UniqueFd> services;
  std::string jobs = tcpJob("router", routerPort);
  for (int i = 0; i < kChildren; ++i) {
    ports.push_back(closedLoopbackPort());
    services.push_back(listenOnLoopback(ports.back()));
    jobs += tcpJob("behind" + std::to_string(i), ports.back(), "depends_on = router\n");
  }
  ASSERT_NO_FATAL_FAILURE(start(37, jobs));
  auto allOk = [](const nlohmann::json& s) {
    size_t ok = 0;
    for (const nlohmann::json& j : s["jobs"]) ok += j["state"] == "ok";
    return ok == kChildren + 1;
  };
  ASSERT_TRUE(allOk(statusWhen(allOk, 30s))) << "every job ok first";

  // The router goes, and everything behind it with it.
  router.reset();
  services.clear();
  auto settled = [](const nlohmann::json& s) {
    size_t blocked = 0;
    for (const nlohmann::json& j : s["jobs"]) {
      if (j["name"] == "router") continue;
      blocked += j["state"] == "failing" && j["notices_held"].is_object() && j["notices_held"]["by"] == "blocked" &&
                 j["consecutive_failures"].get<int>() >= 2;
    }
    const nlohmann::json* r = job(s, "router");
    return blocked == kChildren && r != nullptr && (*r)["notified_failure"] == true && s["outbox"]["pending"] == 0;
  };
  nlohmann::json status = statusWhen(settled, 60s);
  ASSERT_TRUE(settled(status)) << status.dump(1);
  MailMessage routerMail;
  ASSERT_TRUE(mail_.waitForMessage(37, "127.0.0.1:" + std::to_string(routerPort), 30s, &routerMail));
  // Everything queued was sent (outbox empty above): the inbox holds it all.
  std::vector<MailMessage> inbox = mail_.fetchAll(37);
  ASSERT_EQ(inbox.size(), 1u) << "one mail for the root cause; got " << inbox.size();
  for (int i = 0; i < kChildren; ++i) {
    const nlohmann::json* child = job(status, "behind" + std::to_string(i));
    ASSERT_NE(child, nullptr);
    EXPECT_EQ((*child)["notices_held"]["reason"], "blocked by router") << child->dump();
  }
  CommandResult text = runCommand(std::string(CHECKER_BIN_DIR) + "/checker status -c " + self_.config);
  EXPECT_THAT(text.output, HasSubstr("failing, blocked")) << text.output;
  CommandResult history =
      runCommand(std::string(CHECKER_BIN_DIR) + "/checker history -c " + self_.config + " behind0");
  EXPECT_THAT(history.output, HasSubstr("failure notice not sent: blocked by router")) << history.output;

  // The router comes back but one job behind it does not: that one is news
  // now, once its own fresh result says it still fails; the nine that came
  // back with the router are not.
  router = listenOnLoopback(routerPort);
  for (int i = 1; i < kChildren; ++i) services.push_back(listenOnLoopback(ports[static_cast<size_t>(i)]));
  MailMessage childMail;
  ASSERT_TRUE(mail_.waitForMessage(37, "127.0.0.1:" + std::to_string(ports[0]), 30s, &childMail))
      << "the job still failing once its parent is ok is told";
  ASSERT_TRUE(mail_.waitForMessage(37, "router recovered", 30s));
  auto quiet = [](const nlohmann::json& s) {
    size_t ok = 0;
    for (const nlohmann::json& j : s["jobs"]) ok += j["state"] == "ok" && j["notices_held"].is_null();
    return ok == kChildren && s["outbox"]["pending"] == 0;
  };
  ASSERT_TRUE(quiet(statusWhen(quiet, 30s)));
  inbox = mail_.fetchAll(37);
  EXPECT_EQ(inbox.size(), 3u) << "router failing, behind0 still failing, router recovered; the nine that came back "
                                 "with the router were never told";
}

TEST_F(NoticeGateE2e, AFlappingJobIsOneMailThenOneMoreWhenItSettles) {
  uint16_t port = closedLoopbackPort();
  ASSERT_NO_FATAL_FAILURE(start(38, tcpJob("wobbly", port, "flap_high = 40\nflap_low = 20\n")));
  // Up and down on every run: wait for each result, then flip.
  UniqueFd listener;
  uint64_t lastRuns = 0;
  nlohmann::json status;
  for (int flips = 0; flips < 30; ++flips) {
    status = statusWhen(
        [&](const nlohmann::json& s) {
          const nlohmann::json* j = job(s, "wobbly");
          return j != nullptr && (*j)["runs"].get<uint64_t>() > lastRuns;
        },
        10s);
    const nlohmann::json* j = job(status, "wobbly");
    ASSERT_NE(j, nullptr);
    lastRuns = (*j)["runs"].get<uint64_t>();
    if ((*j)["flapping"] == true && flips >= 12) break;
    if (listener.valid()) listener.reset();
    else listener = listenOnLoopback(port);
  }
  ASSERT_EQ((*job(status, "wobbly"))["flapping"], true) << status.dump(1);
  ASSERT_TRUE(mail_.waitForMessage(38, "wobbly is flapping", 30s));
  auto sent = [](const nlohmann::json& s) { return s["outbox"]["pending"] == 0; };
  ASSERT_TRUE(sent(statusWhen(sent, 30s)));
  std::vector<MailMessage> before = mail_.fetchAll(38);
  ASSERT_FALSE(before.empty());
  EXPECT_THAT(before.back().subject, HasSubstr("wobbly is flapping")) << "nothing after it while it flaps";

  // It settles down (failing): one more mail, of that state.
  listener.reset();
  auto settled = [](const nlohmann::json& s) {
    const nlohmann::json* j = job(s, "wobbly");
    return j != nullptr && (*j)["flapping"] == false && s["outbox"]["pending"] == 0;
  };
  ASSERT_TRUE(settled(statusWhen(settled, 60s)));
  std::vector<MailMessage> inbox;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       inbox.size() <= before.size() && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
    inbox = mail_.fetchAll(38);
  }
  ASSERT_EQ(inbox.size(), before.size() + 1) << "one mail when it settles";
  EXPECT_THAT(inbox.back().subject, HasSubstr("127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(inbox.back().raw, HasSubstr("It has stopped flapping."));
}

}  // namespace
}  // namespace checker::test
