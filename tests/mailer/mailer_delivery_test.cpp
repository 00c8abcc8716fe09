// checkerd's alerts through checker-mailer into the real mail servers of the
// "mail" fixture (tests/mail/), read back over IMAP with the fixture's own
// reader. Each test runs its own checkerd with its own state and mailbox
// users (u6..u9, see tests/mail/CMakeLists.txt); where the server must be
// "down" for one test only, checkerd talks to it through a TcpForwarder the
// test owns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "support/daemon_process.h"
#include "support/mail_fixture.h"
#include "support/run_command.h"
#include "support/tcp_forwarder.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

// A config sending as u1 through PORT (STARTTLS, verified against the
// fixture's CA) to ALERT_TO, with JOBS appended. (The hourly self-check
// reads u1's mailbox; no test here looks there.)
std::string mailConfig(const MailFixture& mail, const TempDir& dir, const std::string& server, int port,
                       const std::string& alertTo, const std::string& jobs) {
  std::ostringstream cfg;
  cfg << "[general]\nservername = " << server << "\nalertcontact = " << alertTo << "\nstatefile = "
      << dir.file("state") << "\n"
      << "[peerd]\nlisten = 127.0.0.1:0\n"
      << "[email]\nuser = " << mail.user(1) << "@" << mail.host << "\npass = " << mail.password(1)
      << "\nsmtpserver = " << mail.host << "\nsmtpport = " << port << "\nsmtptls = starttls\ncafile = " << mail.caFile
      << "\nimapserver = " << mail.host << "\nimapport = " << mail.imapsPort << "\nimaptls = tls\n"
      << jobs;
  return cfg.str();
}

// An exec job that fails until FILE exists, every second.
std::string failingUntil(const std::string& name, const std::string& file) {
  return "[job " + name + "]\ntype = exec\ncommand = /usr/bin/test -e " + file + "\nevery = 1s\n";
}

// The pid in a "... (pid N)" log line.
pid_t pidIn(const std::string& line) {
  size_t at = line.find("(pid ");
  return at == std::string::npos ? -1 : static_cast<pid_t>(std::stol(line.substr(at + 5)));
}

class MailerDelivery : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
  }
  TempDir dir_;
  MailFixture mail_;
};

TEST_F(MailerDelivery, AFailingJobsAlertArrivesThenItsRecoveryNotice) {
  const int inbox = 6;
  mail_.clearMailbox(inbox);
  std::string server = "delivery-" + std::to_string(::getpid());
  std::string fixed = dir_.file("fixed");
  std::string config = dir_.write("settings.cfg", mailConfig(mail_, dir_, server, mail_.submissionPort,
                                                             mail_.address(inbox), failingUntil("web", fixed)));
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});

  MailMessage alert;
  // The exec job's notice is its first output line (here none: the exit status).
  ASSERT_TRUE(mail_.waitForMessage(inbox, "[" + server + "] WARNING (exit status 1", 30s, &alert))
      << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(alert.raw, HasSubstr("Job: web (exec:/usr/bin/test -e " + fixed + ")"));
  EXPECT_THAT(alert.raw, HasSubstr("Outcome: failed"));
  EXPECT_THAT(alert.raw, HasSubstr("Failing since: "));
  EXPECT_THAT(alert.raw, HasSubstr("Host: " + server));
  EXPECT_THAT(alert.raw, HasSubstr("Message-ID: <"));
  EXPECT_THAT(alert.raw, HasSubstr("From: " + mail_.user(1) + "@" + mail_.host));

  std::ofstream(fixed) << "fixed\n";
  MailMessage recovery;
  ASSERT_TRUE(mail_.waitForMessage(inbox, "[" + server + "] web recovered", 30s, &recovery))
      << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(recovery.raw, HasSubstr("Was failing from "));
  // Delivered entries leave the outbox.
  ASSERT_NE(daemon.waitForLine("delivered: accepted", 5s), "");
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  CommandResult shown = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(shown.output, HasSubstr("outbox: empty")) << shown.output;
}

TEST_F(MailerDelivery, ServerDownThreeAlertsSurviveKilledMailerAndSupervisor) {
  const int inbox = 7;
  mail_.clearMailbox(inbox);
  TcpForwarder smtp(static_cast<uint16_t>(mail_.submissionPort));
  smtp.down();
  std::string server = "down-" + std::to_string(::getpid());
  // Three jobs that fail with messages of their own, so each alert is told apart.
  std::string jobs;
  for (const char* name : {"alpha", "beta", "gamma"}) {
    jobs += std::string("[job ") + name + "]\ntype = exec\nshell = yes\ncommand = echo CRITICAL " + name +
            " down; exit 2\nevery = 1s\n";
  }
  std::string config =
      dir_.write("settings.cfg", mailConfig(mail_, dir_, server, smtp.port(), mail_.address(inbox), jobs));
  {
    DaemonProcess daemon({kBin + "/checkerd", "-c", config});
    // Each alert was tried and refused at the door (connection refused).
    for (int entry = 1; entry <= 3; ++entry) {
      std::string line = daemon.waitForLine("outbox entry " + std::to_string(entry) + " not delivered", 30s);
      ASSERT_NE(line, "") << ::testing::PrintToString(daemon.lines());
    }
    // SIGKILL the mailer: it is restarted, the outbox kept.
    pid_t mailer = pidIn(daemon.waitForLine("mailer started (pid", 1s));
    ASSERT_GT(mailer, 0);
    ASSERT_EQ(::kill(mailer, SIGKILL), 0);
    size_t from = daemon.lines().size();
    ASSERT_NE(daemon.waitForLine("mailer started (pid", 10s, from), "") << ::testing::PrintToString(daemon.lines());
    // SIGKILL the supervisor with the three alerts still pending.
    ASSERT_EQ(daemon.stop(SIGKILL, 10s) != -1, true);
  }
  CommandResult pending = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(pending.output, HasSubstr("outbox: 3 pending")) << pending.output;

  ASSERT_TRUE(smtp.up());
  DaemonProcess again({kBin + "/checkerd", "-c", config});
  ASSERT_NE(again.waitForLine("outbox: 3 entries to deliver from before", 20s), "")
      << ::testing::PrintToString(again.lines());
  for (const char* job : {"alpha", "beta", "gamma"}) {
    EXPECT_TRUE(mail_.waitForMessage(inbox, "[" + server + "] CRITICAL " + std::string(job) + " down", 60s))
        << job << "\n" << ::testing::PrintToString(again.lines());
  }
  // Not sent again as new alerts: the jobs were already known to be failing.
  int status = again.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(mail_.fetchAll(inbox).size(), 3u);
}

TEST_F(MailerDelivery, AFiveHundredRefusalIsKeptVisibleAndNotRetried) {
  std::string server = "refused-" + std::to_string(::getpid());
  std::string config = dir_.write("settings.cfg", mailConfig(mail_, dir_, server, mail_.submissionPort,
                                                             mail_.rejectAddress, failingUntil("db", dir_.file("x"))));
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string refused = daemon.waitForLine("outbox entry 1 REFUSED for good", 30s);
  ASSERT_NE(refused, "") << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(refused, HasSubstr("550"));
  // Three more runs of the job (a second each): a retry would have come after one.
  size_t from = daemon.lines().size();
  for (int run = 0; run < 3; ++run) {
    std::string line = daemon.waitForLine("job db: failed", 10s, from);
    ASSERT_NE(line, "");
    from = std::find(daemon.lines().begin() + static_cast<long>(from), daemon.lines().end(), line) -
           daemon.lines().begin() + 1;
  }
  size_t attempts = 0;
  for (const std::string& line : daemon.lines()) attempts += line.find("outbox entry 1 ") != std::string::npos;
  EXPECT_EQ(attempts, 1u) << ::testing::PrintToString(daemon.lines());
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  CommandResult shown = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(shown.output, HasSubstr("outbox: entry 1 to " + mail_.rejectAddress + " REFUSED for good")) << shown.output;
  CommandResult json = runCommand(kBin + "/checker status --json -c " + config);
  EXPECT_THAT(json.output, HasSubstr("\"refused\": [{\"id\": 1")) << json.output;
}

TEST_F(MailerDelivery, TestEmailReportsTheServersAnswer) {
  const int inbox = 8;
  mail_.clearMailbox(inbox);
  std::string server = "test-email-" + std::to_string(::getpid());
  std::string config =
      dir_.write("settings.cfg", mailConfig(mail_, dir_, server, mail_.submissionPort, mail_.address(inbox), ""));
  CommandResult sent = runCommand(kBin + "/checker test-email -c " + config);
  EXPECT_EQ(sent.exitCode, 0) << sent.output;
  EXPECT_THAT(sent.output, HasSubstr("accepted"));
  EXPECT_TRUE(mail_.waitForMessage(inbox, "[" + server + "] checker test message", 20s));
  // The same over implicit TLS (smtptls = tls, the SMTPS port).
  std::string tlsConfig = mailConfig(mail_, dir_, server + "-tls", mail_.smtpsPort, mail_.address(inbox), "");
  tlsConfig.replace(tlsConfig.find("smtptls = starttls"), 18, "smtptls = tls");
  std::string tlsPath = dir_.write("tls.cfg", tlsConfig);
  CommandResult overTls = runCommand(kBin + "/checker test-email -c " + tlsPath);
  EXPECT_EQ(overTls.exitCode, 0) << overTls.output;
  EXPECT_TRUE(mail_.waitForMessage(inbox, "[" + server + "-tls] checker test message", 20s));
  CommandResult refused = runCommand(kBin + "/checker test-email -c " + config + " --to " + mail_.rejectAddress);
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_THAT(refused.output, HasSubstr("refused: "));
  EXPECT_THAT(refused.output, HasSubstr("550"));
}

}  // namespace
}  // namespace checker::test
