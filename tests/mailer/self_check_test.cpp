// The email self-check against the real mail servers of the "mail" fixture:
// a probe mailed to the instance's own address (mailbox user u9) and read
// back over IMAPS; and a failure that names the step that broke.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <sstream>
#include <string>

#include "state/state_keys.h"
#include "state/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
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
constexpr int kAccount = 9;  // sends to itself and reads its own INBOX

std::string selfCheckConfig(const MailFixture& mail, const TempDir& dir, int smtpPort, int imapPort,
                            const std::string& extra = "") {
  std::ostringstream cfg;
  cfg << "[general]\nservername = selfcheck-" << ::getpid() << "\nalertcontact = " << mail.address(kAccount)
      << "\nstatefile = " << dir.file("state") << "\n"
      << "[peerd]\nlisten = 127.0.0.1:0\n"
      << "[email]\nuser = " << mail.address(kAccount) << "\npass = " << mail.password(kAccount)
      << "\nsmtpserver = " << mail.host << "\nsmtpport = " << smtpPort << "\nsmtptls = starttls\ncafile = "
      << mail.caFile << "\nimapserver = " << mail.host << "\nimapport = " << imapPort
      << "\nimaptls = tls\nselfcheck_every = 2s\n" << (extra.empty() ? "selfcheck_deadline = 10s\n" : extra);
  return cfg.str();
}

// The token of a "self-check TOKEN: ..." log line.
std::string tokenIn(const std::string& line) {
  size_t at = line.find("self-check ");
  if (at == std::string::npos) return "";
  std::string rest = line.substr(at + 11);
  return rest.substr(0, rest.find(':'));
}

class SelfCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
    mail_.clearMailbox(kAccount);
  }
  TempDir dir_;
  MailFixture mail_;
};

TEST_F(SelfCheckTest, TheProbeArrivesAndIsDeleted) {
  std::string config = dir_.write("settings.cfg", selfCheckConfig(mail_, dir_, mail_.submissionPort, mail_.imapsPort));
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string ok = daemon.waitForLine(": ok: the probe arrived after", 30s);
  ASSERT_NE(ok, "") << ::testing::PrintToString(daemon.lines());
  std::string token = tokenIn(ok);
  ASSERT_EQ(token.size(), 24u) << ok;
  ASSERT_NE(daemon.waitForLine("job email self-check: ok after", 10s), "") << ::testing::PrintToString(daemon.lines());
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (const MailMessage& message : mail_.fetchAll(kAccount)) {
    EXPECT_THAT(message.subject, ::testing::Not(HasSubstr(token))) << "the probe was left in the mailbox";
  }
  CommandResult shown = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(shown.output, ::testing::ContainsRegex("\nemail self-check +ok ")) << shown.output;
  // The mail health peering will read.
  StateStore store = StateStore::openReadOnly(dir_.file("state"));
  ReadTransaction txn = store.beginRead();
  std::optional<std::string_view> email = txn.get(StateDb::email, state_keys::kSelfCheck);
  ASSERT_TRUE(email.has_value());
  auto decoded = ipc::decode(*email);
  auto state = decoded->root<ipc::EmailState>();
  EXPECT_TRUE(state.getOk());
  EXPECT_GT(state.getLastOkUnixMs(), 0);
  EXPECT_EQ(state.getLastOkUnixMs(), state.getLastCheckUnixMs());
}

TEST_F(SelfCheckTest, ASendFailureIsNamedAndTheCheckFails) {
  TcpForwarder smtp(static_cast<uint16_t>(mail_.submissionPort));
  smtp.down();
  std::string config = dir_.write("settings.cfg", selfCheckConfig(mail_, dir_, smtp.port(), mail_.imapsPort));
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string failed = daemon.waitForLine("job email self-check: failed", 30s);
  ASSERT_NE(failed, "") << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(failed, HasSubstr("send (connect): the probe was not accepted by " + mail_.host));
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  StateStore store = StateStore::openReadOnly(dir_.file("state"));
  ReadTransaction txn = store.beginRead();
  std::optional<std::string_view> email = txn.get(StateDb::email, state_keys::kSelfCheck);
  ASSERT_TRUE(email.has_value());
  auto decoded = ipc::decode(*email);
  EXPECT_FALSE(decoded->root<ipc::EmailState>().getOk());
  EXPECT_THAT(std::string(decoded->root<ipc::EmailState>().getMessage().cStr()), HasSubstr("send (connect)"));
  CommandResult shown = runCommand(kBin + "/checker status -c " + config);
  EXPECT_THAT(shown.output, HasSubstr("mail: PROBLEM: the last email self-check failed: send (connect)")) << shown.output;
}

TEST_F(SelfCheckTest, AnImapFailureIsNamedAndTheCheckFails) {
  TcpForwarder imap(static_cast<uint16_t>(mail_.imapsPort));
  imap.down();
  std::string config = dir_.write("settings.cfg", selfCheckConfig(mail_, dir_, mail_.submissionPort, imap.port()));
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string failed = daemon.waitForLine("job email self-check: failed", 30s);
  ASSERT_NE(failed, "") << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(failed, HasSubstr("imap connect: reading INBOX on " + mail_.host));
}

TEST_F(SelfCheckTest, AWrongImapPasswordIsNamedAndTheCheckFails) {
  // One password serves SMTP and IMAP ([email] pass, as in the original).
  // Sent in clear to OpenSMTPD's local port, which offers no AUTH (libcurl
  // then sends without), only IMAP ever sees the wrong password.
  std::string cfg = selfCheckConfig(mail_, dir_, mail_.smtpPort, mail_.imapsPort);
  cfg.replace(cfg.find("smtptls = starttls"), 18, "smtptls = none");
  cfg.replace(cfg.find("pass = " + mail_.password(kAccount)), 7 + mail_.password(kAccount).size(), "pass = wrong");
  std::string config = dir_.write("settings.cfg", cfg);
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string failed = daemon.waitForLine("job email self-check: failed", 30s);
  ASSERT_NE(failed, "") << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(failed, HasSubstr("imap auth: reading INBOX on " + mail_.host));
}

TEST_F(SelfCheckTest, AProbeThatNeverArrivesFailsAtTheDeadline) {
  // The account is said to move sent mail to its trash by itself, so the
  // check looks there; but the probe lands in INBOX and never shows up.
  mail_.createFolder(kAccount, "Archive");
  std::string config = dir_.write(
      "settings.cfg", selfCheckConfig(mail_, dir_, mail_.submissionPort, mail_.imapsPort,
                                      "selfcheck_deadline = 3s\nideletesentmessagesautomatically = yes\n"
                                      "trashfolder = Archive\n"));
  DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string failed = daemon.waitForLine("job email self-check: failed", 30s);
  ASSERT_NE(failed, "") << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(failed, HasSubstr("not-arrived: the probe did not arrive in Archive within"));
  // It was sent: it is in INBOX, where the check did not look.
  EXPECT_TRUE(mail_.waitForMessage(kAccount, "checker self-check", 5s));
}

}  // namespace
}  // namespace checker::test
