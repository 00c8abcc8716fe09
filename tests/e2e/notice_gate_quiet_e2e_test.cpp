// Quiet jobs end to end (issue 19): `checker silence` and [maintenance
// NAME] windows hold a job's notices, with a real checkerd mailing through
// the real OpenSMTPD + Dovecot of the "mail" fixture, its admin's IMAP
// inbox read back.
//   - A silenced job that fails is held (status, the page, /metrics) and
//     mails nobody, across a kill -9 of the whole instance; unsilenced while
//     still failing, it is one mail saying its notice was held.
//   - A silenced job that recovers before the silence ends is no mail.
//   - A window of the config holds the jobs it covers and no other; a
//     reload without it releases the held notice.
//   - A silence of a tag holds the jobs with that tag only.
//
// "The inbox stays empty" is proved with an event, not a sleep: a canary
// job that nothing holds changes state after the held job's notice would
// have been queued, and its mail arriving means the held one would have too.
//
// Mailbox users (tests/mail/CMakeLists.txt): u39 (the silence tests) and
// u40 (the window and the tag). Two tests share each, so none clears it:
// each counts only the mails of its own instance, whose servername (in
// every subject) is unique to the test's process.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "e2e/gate_e2e.h"
#include "support/checker_instance.h"
#include "support/loopback_http.h"
#include "support/loopback_ports.h"
#include "support/mail_fixture.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kSilenceMailbox = 39;
constexpr int kWindowMailbox = 40;

// A message body as written, quoted-printable undone (the mailer's bodies
// are quoted-printable: long lines are cut with soft breaks).
std::string decodedBody(const std::string& raw) {
  size_t start = raw.find("\r\n\r\n");
  std::string in = start == std::string::npos ? raw : raw.substr(start + 4);
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=' || i + 2 >= in.size()) {
      out += in[i];
    } else if (in[i + 1] == '\r' && in[i + 2] == '\n') {
      i += 2;  // soft line break
    } else {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

// What a tcp job's failure subject says of its target ("could not connect
// to 127.0.0.1:PORT: Connection refused"), the colon after the port included.
std::string target(uint16_t port) { return "127.0.0.1:" + std::to_string(port) + ":"; }

// "YYYY-MM-DD HH:MM" in UTC, UNIX_S seconds after the epoch.
std::string utcMinute(std::time_t unixS) {
  std::tm tm{};
  ::gmtime_r(&unixS, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
  return text;
}

class QuietNoticesE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
    self_.name = "quiet-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}() % 100000);
  }
  void TearDown() override {
    if (HasFailure()) self_.dumpLog();
  }

  void writeConfig(const std::string& sections) {
    InstanceConfig c;
    c.stateDir = dir_.file("state");
    c.smtpPort = mail_.submissionPort;
    c.emailExtra = "selfcheck_every = 1h\n";
    c.jobs = sections;
    self_.config = dir_.write("quiet.cfg", instanceConfig(self_, mail_, c));
    ::chmod(self_.config.c_str(), 0600);
  }

  void start(int admin, const std::string& sections) {
    self_.port = freeLoopbackPort();
    self_.admin = admin;
    writeConfig(sections);
    ASSERT_NO_FATAL_FAILURE(self_.start());
  }

  CommandResult checker(const std::string& arguments) const {
    return runCommand(std::string(CHECKER_BIN_DIR) + "/checker " + arguments);
  }

  // `checker silence -c CONFIG ARGUMENTS`: the new silence's id.
  uint64_t silence(const std::string& arguments) {
    CommandResult r = checker("silence -c " + self_.config + " " + arguments);
    std::smatch m;
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_TRUE(std::regex_search(r.output, m, std::regex("^silence ([0-9]+): "))) << r.output;
    return m.empty() ? 0 : std::stoull(m[1]);
  }

  template <typename Predicate>
  nlohmann::json statusWhen(Predicate predicate, std::chrono::milliseconds timeout) {
    return checker::test::statusWhen(self_.config, predicate, timeout);
  }

  // The status once JOB is failing with its notices held as quiet, at least
  // FAILURES failures in a row recorded, and nothing left in the outbox.
  nlohmann::json heldQuiet(const std::string& job, int failures) {
    auto held = [&](const nlohmann::json& s) {
      const nlohmann::json* j = jobIn(s, job);
      return j != nullptr && (*j)["state"] == "failing" && (*j)["notices_held"].is_object() &&
             (*j)["notices_held"]["by"] == "quiet" && (*j)["consecutive_failures"].get<int>() >= failures &&
             s["outbox"]["pending"] == 0;
    };
    nlohmann::json status = statusWhen(held, 30s);
    EXPECT_TRUE(held(status)) << job << " held as quiet after " << failures << " failures:\n" << status.dump(1);
    return status;
  }

  // The status once JOB has run more than RUNS times, in STATE, nothing
  // holding its notices, and nothing left in the outbox.
  nlohmann::json ranFree(const std::string& job, uint64_t runs, const std::string& state) {
    auto free = [&](const nlohmann::json& s) {
      const nlohmann::json* j = jobIn(s, job);
      return j != nullptr && (*j)["runs"].get<uint64_t>() > runs && (*j)["state"] == state &&
             (*j)["notices_held"].is_null() && s["outbox"]["pending"] == 0;
    };
    nlohmann::json status = statusWhen(free, 30s);
    EXPECT_TRUE(free(status)) << job << " " << state << " and free after run " << runs << ":\n" << status.dump(1);
    return status;
  }

  void allOk(const std::vector<std::string>& jobs) {
    auto ok = [&](const nlohmann::json& s) {
      for (const std::string& name : jobs) {
        const nlohmann::json* j = jobIn(s, name);
        if (j == nullptr || (*j)["state"] != "ok") return false;
      }
      return true;
    };
    nlohmann::json status = statusWhen(ok, 30s);
    ASSERT_TRUE(ok(status)) << "every job ok first:\n" << status.dump(1);
  }

  static uint64_t runsOf(const nlohmann::json& status, const std::string& job) {
    const nlohmann::json* j = jobIn(status, job);
    return j == nullptr ? 0 : (*j)["runs"].get<uint64_t>();
  }

  // This instance's mails in its admin's inbox, oldest first.
  std::vector<MailMessage> mine() const {
    std::vector<MailMessage> out;
    for (MailMessage& m : mail_.fetchAll(self_.admin)) {
      if (m.subject.find("[" + self_.name + "] ") != std::string::npos) out.push_back(std::move(m));
    }
    return out;
  }

  // This instance's mails once there are at least COUNT (IMAP polled, as
  // waitForMessage does), or those there are after 30 s.
  std::vector<MailMessage> mineWhen(size_t count) const {
    std::vector<MailMessage> out = mine();
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         out.size() < count && std::chrono::steady_clock::now() < deadline; out = mine()) {
      std::this_thread::sleep_for(50ms);
    }
    return out;
  }

  // Polls until one of this instance's mails has NEEDLE in its subject
  // (true, copied to *OUT if given), or 30 s have passed (false).
  bool waitForMine(const std::string& needle, MailMessage* out = nullptr) const {
    for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
      for (MailMessage& m : mine()) {
        if (m.subject.find(needle) == std::string::npos) continue;
        if (out != nullptr) *out = std::move(m);
        return true;
      }
    }
    return false;
  }

  static std::string subjects(const std::vector<MailMessage>& mails) {
    std::string out;
    for (const MailMessage& m : mails) out += "  " + m.subject + "\n";
    return out;
  }

  // peerd's answer to GET PATH, as a browser asks (`/` is the page only
  // for an Accept of HTML), once it contains NEEDLE (the page and /metrics
  // are made at most once a second), or its last answer.
  std::string getWhen(const std::string& path, const std::string& needle) const {
    std::string answer;
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(100ms)) {
      answer = loopbackExchange(
          self_.port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
      if (answer.find(needle) != std::string::npos) break;
    }
    return answer;
  }

  TempDir dir_;
  MailFixture mail_;
  CheckerInstance self_;
};

TEST_F(QuietNoticesE2e, ASilencedJobIsHeldAcrossAKillAndReleasedAsOneMailWhenUnsilenced) {
  uint16_t webPort = closedLoopbackPort();
  uint16_t canaryPort = closedLoopbackPort();
  UniqueFd web = listenOnLoopback(webPort);
  UniqueFd canary = listenOnLoopback(canaryPort);
  ASSERT_TRUE(web.valid() && canary.valid());
  ASSERT_NO_FATAL_FAILURE(start(kSilenceMailbox, tcpJob("web", webPort) + tcpJob("canary", canaryPort)));
  ASSERT_NO_FATAL_FAILURE(allOk({"web", "canary"}));

  // Silenced while ok, then it fails: nothing is sent, everything shows it.
  uint64_t id = silence("web --for 1h --reason 'deploy 4.2'");
  ASSERT_NE(id, 0u);
  web.reset();
  nlohmann::json status = heldQuiet("web", 3);
  ASSERT_FALSE(HasFailure());
  const nlohmann::json& held = *jobIn(status, "web");
  EXPECT_THAT(held["notices_held"]["reason"].get<std::string>(),
              StartsWith("silence " + std::to_string(id) + " until "));
  EXPECT_THAT(held["notices_held"]["reason"].get<std::string>(), HasSubstr("deploy 4.2"));
  EXPECT_EQ(held["notified_failure"], false);
  CommandResult text = checker("status -c " + self_.config);
  EXPECT_THAT(text.output, HasSubstr("failing, quiet")) << text.output;
  std::string metric = "checker_job_notices_held{id=\"tcp:127.0.0.1:" + std::to_string(webPort) +
                       "\",name=\"web\",by=\"quiet\"} 1";
  EXPECT_THAT(getWhen("/metrics", metric), HasSubstr(metric));
  EXPECT_THAT(getWhen("/", "notices held"), HasSubstr("notices held: silence " + std::to_string(id)));
  CommandResult history = checker("history -c " + self_.config + " web");
  EXPECT_THAT(history.output, HasSubstr("failure notice not sent: silence " + std::to_string(id))) << history.output;

  // The canary fails after web's notice would have been queued: once its
  // mail is in, web's would be too.
  canary.reset();
  ASSERT_TRUE(waitForMine(target(canaryPort))) << subjects(mine());
  std::vector<MailMessage> inbox = mine();
  ASSERT_EQ(inbox.size(), 1u) << "the canary's mail only:\n" << subjects(inbox);

  // kill -9 of the whole instance, and a new one on the same state: the
  // silence was written before `checker silence` answered, so web is held
  // still. First the canary's delivery is recorded: delivery is at least
  // once, and a kill between the server's 250 and that record would send
  // it again.
  int failuresBefore = held["consecutive_failures"].get<int>();
  auto delivered = [](const nlohmann::json& s) { return s["outbox"]["pending"] == 0; };
  ASSERT_TRUE(delivered(statusWhen(delivered, 30s)));
  self_.killAll();
  ASSERT_NO_FATAL_FAILURE(self_.start());
  status = heldQuiet("web", failuresBefore + 2);
  ASSERT_FALSE(HasFailure());
  canary = listenOnLoopback(canaryPort);
  ASSERT_TRUE(waitForMine("canary recovered")) << subjects(mine());
  inbox = mine();
  ASSERT_EQ(inbox.size(), 2u) << "the canary's two mails only:\n" << subjects(inbox);

  // Unsilenced while still failing: one mail, saying its notice was held.
  CommandResult lifted = checker("unsilence -c " + self_.config + " " + std::to_string(id));
  ASSERT_EQ(lifted.exitCode, 0) << lifted.output;
  MailMessage released;
  ASSERT_TRUE(waitForMine(target(webPort), &released)) << subjects(mine());
  std::string body = decodedBody(released.raw);
  EXPECT_THAT(body, HasSubstr("Its notice was held (silence " + std::to_string(id) + " until ")) << body;
  EXPECT_THAT(body, HasSubstr("it is still failing.")) << body;

  // Further failing runs send nothing more (notify = state_change): web
  // runs twice more, then the canary fails again and its mail comes.
  status = ranFree("web", runsOf(status, "web") + 2, "failing");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ((*jobIn(status, "web"))["notified_failure"], true);
  canary.reset();
  inbox = mineWhen(4);
  ASSERT_EQ(inbox.size(), 4u) << subjects(inbox);
  auto count = [&](const std::string& needle) {
    return std::count_if(inbox.begin(), inbox.end(),
                         [&](const MailMessage& m) { return m.subject.find(needle) != std::string::npos; });
  };
  EXPECT_EQ(count(target(webPort)), 1) << "web's one mail, nothing more\n" << subjects(inbox);
  EXPECT_EQ(count(target(canaryPort)), 2) << subjects(inbox);
}

TEST_F(QuietNoticesE2e, ASilencedJobThatRecoversBeforeItsSilenceEndsIsNoMail) {
  uint16_t webPort = closedLoopbackPort();
  uint16_t canaryPort = closedLoopbackPort();
  UniqueFd web = listenOnLoopback(webPort);
  UniqueFd canary = listenOnLoopback(canaryPort);
  ASSERT_TRUE(web.valid() && canary.valid());
  ASSERT_NO_FATAL_FAILURE(start(kSilenceMailbox, tcpJob("web", webPort) + tcpJob("canary", canaryPort)));
  ASSERT_NO_FATAL_FAILURE(allOk({"web", "canary"}));

  uint64_t id = silence("web --for 1h --reason 'rolling restart'");
  ASSERT_NE(id, 0u);
  web.reset();
  ASSERT_NO_FATAL_FAILURE(heldQuiet("web", 2));
  ASSERT_FALSE(HasFailure());
  web = listenOnLoopback(webPort);
  ASSERT_TRUE(web.valid());
  auto recovered = [](const nlohmann::json& s) {
    const nlohmann::json* j = jobIn(s, "web");
    return j != nullptr && (*j)["state"] == "ok";
  };
  nlohmann::json status = statusWhen(recovered, 30s);
  ASSERT_TRUE(recovered(status)) << status.dump(1);

  CommandResult lifted = checker("unsilence -c " + self_.config + " " + std::to_string(id));
  ASSERT_EQ(lifted.exitCode, 0) << lifted.output;
  ASSERT_NO_FATAL_FAILURE(ranFree("web", runsOf(status, "web") + 1, "ok"));
  ASSERT_FALSE(HasFailure());
  canary.reset();
  ASSERT_TRUE(waitForMine(target(canaryPort))) << subjects(mine());
  std::vector<MailMessage> inbox = mine();
  EXPECT_EQ(inbox.size(), 1u) << "the canary's mail only: web was never told it failed, so not that it "
                                 "recovered either\n"
                              << subjects(inbox);
}

TEST_F(QuietNoticesE2e, AWindowOfTheConfigHoldsItsJobsAndAReloadWithoutItReleasesThem) {
  uint16_t webPort = closedLoopbackPort();
  uint16_t dbPort = closedLoopbackPort();
  std::time_t now = std::time(nullptr);
  std::string window = "[maintenance migration]\nstart = " + utcMinute(now - 120) + "\nend = " +
                       utcMinute(now + 3 * 3600) + "\ntimezone = UTC\njobs = web*\n";
  std::string jobs = tcpJob("web1", webPort) + tcpJob("db", dbPort);
  ASSERT_NO_FATAL_FAILURE(start(kWindowMailbox, jobs + window));

  // Both fail from their first run; the window covers web1 only.
  nlohmann::json status = heldQuiet("web1", 3);
  ASSERT_FALSE(HasFailure());
  EXPECT_THAT((*jobIn(status, "web1"))["notices_held"]["reason"].get<std::string>(),
              StartsWith("maintenance migration until "));
  EXPECT_TRUE((*jobIn(status, "db"))["notices_held"].is_null()) << status.dump(1);
  ASSERT_TRUE(waitForMine(target(dbPort))) << subjects(mine());
  std::vector<MailMessage> inbox = mine();
  ASSERT_EQ(inbox.size(), 1u) << "db's mail only:\n" << subjects(inbox);

  // The window taken out of the config: web1's notice goes out at the reload.
  writeConfig(jobs);
  CommandResult reload = checker("reload -c " + self_.config);
  ASSERT_EQ(reload.exitCode, 0) << reload.output;
  MailMessage released;
  ASSERT_TRUE(waitForMine(target(webPort), &released)) << subjects(mine());
  EXPECT_THAT(decodedBody(released.raw), HasSubstr("Its notice was held (maintenance migration until "));
  status = ranFree("web1", runsOf(status, "web1") + 2, "failing");
  ASSERT_FALSE(HasFailure());
  UniqueFd db = listenOnLoopback(dbPort);
  ASSERT_TRUE(waitForMine("db recovered")) << subjects(mine());
  inbox = mine();
  EXPECT_EQ(inbox.size(), 3u) << "db failing, web1 released, db recovered:\n" << subjects(inbox);
}

TEST_F(QuietNoticesE2e, ASilenceOfATagHoldsTheJobsWithThatTagOnly) {
  uint16_t tagged = closedLoopbackPort();
  uint16_t other = closedLoopbackPort();
  UniqueFd dbmain = listenOnLoopback(tagged);
  UniqueFd webfront = listenOnLoopback(other);
  ASSERT_TRUE(dbmain.valid() && webfront.valid());
  ASSERT_NO_FATAL_FAILURE(
      start(kWindowMailbox, tcpJob("dbmain", tagged, "tags = db, eu\n") + tcpJob("webfront", other, "tags = eu\n")));
  ASSERT_NO_FATAL_FAILURE(allOk({"dbmain", "webfront"}));

  uint64_t id = silence("--tag db --for 30m --reason 'replica rebuild'");
  ASSERT_NE(id, 0u);
  dbmain.reset();
  webfront.reset();
  nlohmann::json status = heldQuiet("dbmain", 3);
  ASSERT_FALSE(HasFailure());
  EXPECT_THAT((*jobIn(status, "dbmain"))["notices_held"]["reason"].get<std::string>(),
              StartsWith("silence " + std::to_string(id) + " until "));
  EXPECT_TRUE((*jobIn(status, "webfront"))["notices_held"].is_null()) << status.dump(1);
  ASSERT_TRUE(waitForMine(target(other))) << subjects(mine());
  std::vector<MailMessage> inbox = mine();
  EXPECT_EQ(inbox.size(), 1u) << "webfront's mail only:\n" << subjects(inbox);
}

}  // namespace
}  // namespace checker::test
