// Peering with real processes: several checkerd instances on loopback, each
// with its checker-peerd on a free port, asking each other every second,
// mailing through the real servers of the "mail" fixture; each admin's IMAP
// inbox is read to prove what they were told. None of the instances has a
// job: a no-job instance runs only its system jobs and answers True.
//
// Mailbox users (tests/mail/CMakeLists.txt): u20..u22 the admins of the
// three-instance test; u23 (the self-checking sender) and u24 (its admin) in
// the broken-SMTP test. Every instance sends as u1 unless it self-checks.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "support/checker_instance.h"
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
const std::string kSecret = "a shared secret of the alpha-beta pair";

// The whole answer to REQUEST sent to 127.0.0.1:PORT (read until close).
std::string exchange(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

using Instance = CheckerInstance;

class Peering : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
  }

  // [general], [email] sending as SENDER through SMTP_PORT (STARTTLS; the
  // hourly self-check, if one falls in the test, reads SENDER's INBOX), and
  // [peerd] with short windows; PEER_LINES is the [peers] section's body.
  std::string configFor(const Instance& self, int sender, int smtpPort, const std::string& peerLines,
                        const std::string& emailExtra = "") {
    InstanceConfig c;
    c.stateDir = dir_.file(self.name + "-state");
    c.sender = sender;
    c.smtpPort = smtpPort;
    c.emailExtra = emailExtra;
    c.peerdSettings = "check_every = 1s\ntimeout = 2s\njobproblem_after = 3s\nnotify = state_change\n"
                      "failures_before_notify = 1\nrecover_after = 1\n";
    c.peerLines = peerLines;
    std::string path = dir_.write(self.name + ".cfg", instanceConfig(self, mail_, c));
    ::chmod(path.c_str(), 0600);  // it holds a password and a secret
    return path;
  }

  // On failure, every instance's log says what it saw.
  void dumpLogs(std::initializer_list<Instance*> instances) {
    if (!HasFailure()) return;
    for (Instance* i : instances) i->dumpLog();
  }

  // Waits until INBOX holds more than BEFORE messages whose subject has
  // SUBJECT: an instance started after its peers may have been mailed
  // about already (not responding, then answers True again) at startup.
  bool mailedAgain(int inbox, const std::string& subject, size_t before) {
    for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
      if (mail_.countMessages(inbox, subject) > before) return true;
      std::this_thread::sleep_for(100ms);  // polling IMAP: there is no event to wait on
    }
    return false;
  }

  bool mailed(int inbox, const std::string& subject, MailMessage* out = nullptr) {
    return mail_.waitForMessage(inbox, subject, 30s, out);
  }

  TempDir dir_;
  MailFixture mail_;
};

// alpha and beta share a secret (signed answers); gamma is asked and asks
// with the original's plain answer.
TEST_F(Peering, ThreeInstancesReportAStoppedAndAKilledPeerToItsAdminThenItsRecovery) {
  std::string tag = std::to_string(::getpid());
  Instance alpha{"alpha-" + tag, freeLoopbackPort(), 20, "", nullptr};
  Instance beta{"beta-" + tag, freeLoopbackPort(), 21, "", nullptr};
  Instance gamma{"gamma-" + tag, freeLoopbackPort(), 22, "", nullptr};
  for (const Instance* i : {&alpha, &beta, &gamma}) mail_.clearMailbox(i->admin);
  alpha.config = configFor(alpha, 1, mail_.submissionPort, peerLine(beta, mail_, kSecret) + peerLine(gamma, mail_));
  beta.config = configFor(beta, 1, mail_.submissionPort, peerLine(alpha, mail_, kSecret) + peerLine(gamma, mail_));
  gamma.config = configFor(gamma, 1, mail_.submissionPort, peerLine(alpha, mail_) + peerLine(beta, mail_));
  for (Instance* i : {&alpha, &beta, &gamma}) ASSERT_NO_FATAL_FAILURE(i->start());

  // Every instance finds the other two healthy; alpha and beta with signed answers.
  ASSERT_NE(alpha.daemon->waitForLine("job peer " + beta.name + ": ok", 20s), "");
  ASSERT_NE(alpha.daemon->waitForLine("job peer " + gamma.name + ": ok", 20s), "");
  ASSERT_NE(gamma.daemon->waitForLine("job peer " + alpha.name + ": ok", 20s), "");
  CommandResult asked = runCommand(kBin + "/checker peers -c " + alpha.config);
  EXPECT_EQ(asked.exitCode, 0) << asked.output;
  EXPECT_THAT(asked.output, HasSubstr("True (signed)"));
  EXPECT_THAT(gamma.statusMatching(beta.name + " +healthy", 10s), ::testing::ContainsRegex(beta.name + " +healthy"));
  // The original's wire format from the real peerd, to HTTP/1.0 and 1.1 clients.
  std::string http10 = exchange(gamma.port, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_THAT(http10, ::testing::StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(http10, ::testing::EndsWith("\r\n\r\nTrue"));
  std::string http11 = exchange(gamma.port, "GET /anything HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(http11, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(http11, ::testing::EndsWith("\r\n\r\nTrue"));

  // beta's supervisor stops: its peerd still answers, JobProblem after 3 s.
  ASSERT_EQ(::kill(beta.daemon->pid(), SIGSTOP), 0);
  MailMessage stopped;
  ASSERT_TRUE(mailed(beta.admin, "[" + alpha.name + "] peer " + beta.name + " (" + beta.url() + "): JobProblem", &stopped))
      << mail_.serverLogs();
  EXPECT_THAT(stopped.subject, HasSubstr("JobProblem (signed)"));
  EXPECT_THAT(stopped.raw, HasSubstr("Failing since: "));
  ASSERT_TRUE(mailed(beta.admin, "[" + gamma.name + "] peer " + beta.name + " (" + beta.url() + "): JobProblem"));
  std::string alphaOnBetaBack = "[" + alpha.name + "] peer " + beta.name + " (" + beta.url() + ") answers True again";
  std::string gammaOnBetaBack = "[" + gamma.name + "] peer " + beta.name + " (" + beta.url() + ") answers True again";
  size_t alphaBefore = mail_.countMessages(beta.admin, alphaOnBetaBack), gammaBefore = mail_.countMessages(beta.admin, gammaOnBetaBack);
  ASSERT_EQ(::kill(beta.daemon->pid(), SIGCONT), 0);
  EXPECT_TRUE(mailedAgain(beta.admin, alphaOnBetaBack, alphaBefore));
  EXPECT_TRUE(mailedAgain(beta.admin, gammaOnBetaBack, gammaBefore));

  // gamma dies entirely: nobody answers on its port.
  // (gamma started last: alpha and beta may have mailed its admin at startup.)
  std::string alphaOnGamma = "[" + alpha.name + "] peer " + gamma.name + " (" + gamma.url() + ")";
  std::string betaOnGamma = "[" + beta.name + "] peer " + gamma.name + " (" + gamma.url() + ")";
  size_t alphaGoneBefore = mail_.countMessages(gamma.admin, alphaOnGamma + ": not responding");
  size_t betaGoneBefore = mail_.countMessages(gamma.admin, betaOnGamma + ": not responding");
  size_t alphaBackBefore = mail_.countMessages(gamma.admin, alphaOnGamma + " answers True again");
  size_t betaBackBefore = mail_.countMessages(gamma.admin, betaOnGamma + " answers True again");
  gamma.killAll();
  ASSERT_TRUE(mailedAgain(gamma.admin, alphaOnGamma + ": not responding", alphaGoneBefore));
  ASSERT_TRUE(mailedAgain(gamma.admin, betaOnGamma + ": not responding", betaGoneBefore));
  EXPECT_THAT(alpha.statusMatching(gamma.name + " +no answer", 10s), ::testing::ContainsRegex(gamma.name + " +no answer"));
  ASSERT_NO_FATAL_FAILURE(gamma.start());
  EXPECT_TRUE(mailedAgain(gamma.admin, alphaOnGamma + " answers True again", alphaBackBefore));
  EXPECT_TRUE(mailedAgain(gamma.admin, betaOnGamma + " answers True again", betaBackBefore));
  // No peer alert went to an admin it was not about.
  for (const MailMessage& m : mail_.fetchAll(alpha.admin)) ADD_FAILURE() << "alpha's admin got: " << m.subject;
  dumpLogs({&alpha, &beta, &gamma});
}

// alpha self-checks its mail path through a forwarder the test owns; with
// it down, alpha answers MailProblem and beta mails alpha's admin.
TEST_F(Peering, ABrokenMailPathIsReportedByThePeerAsMailProblem) {
  std::string tag = std::to_string(::getpid());
  Instance alpha{"mailbroken-" + tag, freeLoopbackPort(), 24, "", nullptr};
  Instance beta{"watcher-" + tag, freeLoopbackPort(), 25, "", nullptr};
  const int alphaSender = 23;  // alpha sends to itself as u23 and reads it back
  mail_.clearMailbox(alpha.admin);
  mail_.clearMailbox(alphaSender);
  TcpForwarder smtp(static_cast<uint16_t>(mail_.submissionPort));
  std::ostringstream selfCheck;
  selfCheck << "selfcheck_every = 2s\nselfcheck_deadline = 10s\n";
  alpha.config = configFor(alpha, alphaSender, smtp.port(), peerLine(beta, mail_, kSecret), selfCheck.str());
  beta.config = configFor(beta, 1, mail_.submissionPort, peerLine(alpha, mail_, kSecret));
  ASSERT_NO_FATAL_FAILURE(alpha.start());
  ASSERT_NO_FATAL_FAILURE(beta.start());
  ASSERT_NE(alpha.daemon->waitForLine("job email self-check: ok", 30s), "") << ::testing::PrintToString(alpha.daemon->lines());
  ASSERT_NE(beta.daemon->waitForLine("job peer " + alpha.name + ": ok", 20s), "");

  // A peer with the wrong secret cannot verify alpha's answer (alpha does
  // not know that secret's key id and refuses to sign); the right one can.
  for (const auto& [secret, expected] : {std::pair<std::string, std::string>{"not the secret", "answer could not be verified"},
                                         std::pair<std::string, std::string>{kSecret, "True (signed)"}}) {
    std::string asker = dir_.write("asker.cfg", "[general]\nservername = asker\nalertcontact = a@example.org\n"
                                                "[email]\nnomail = yes\n[peers]\n" +
                                                    peerLine(alpha, mail_, secret));
    CommandResult asked = runCommand(kBin + "/checker peers -c " + asker);
    EXPECT_EQ(asked.exitCode, secret == kSecret ? 0 : 1) << asked.output;
    EXPECT_THAT(asked.output, HasSubstr(expected));
  }

  smtp.down();
  ASSERT_NE(alpha.daemon->waitForLine("mail path broken, peers are told MailProblem", 30s), "")
      << ::testing::PrintToString(alpha.daemon->lines());
  MailMessage told;
  ASSERT_TRUE(mailed(alpha.admin, "[" + beta.name + "] peer " + alpha.name, &told));
  EXPECT_THAT(told.subject, HasSubstr("MailProblem (signed)"));
  EXPECT_THAT(told.raw, HasSubstr("cannot send mail"));

  ASSERT_TRUE(smtp.up());
  ASSERT_NE(alpha.daemon->waitForLine("mail path healthy again", 30s), "") << ::testing::PrintToString(alpha.daemon->lines());
  EXPECT_TRUE(mailed(alpha.admin, "[" + beta.name + "] peer " + alpha.name + " (" + alpha.url() + ") answers True again"));

  // peerd killed: checkerd starts it again and it answers on the same port.
  // (Last: beta may well see the moment without an answer and mail it.)
  pid_t peerd = alpha.childPid("peerd");
  ASSERT_GT(peerd, 0);
  size_t from = alpha.daemon->lines().size();
  ASSERT_EQ(::kill(peerd, SIGKILL), 0);
  ASSERT_NE(alpha.daemon->waitForLine("peerd: answering peers on 127.0.0.1:" + std::to_string(alpha.port), 10s, from), "")
      << ::testing::PrintToString(alpha.daemon->lines());
  EXPECT_THAT(exchange(alpha.port, "GET / HTTP/1.0\r\n\r\n"), ::testing::EndsWith("\r\n\r\nTrue"));
  dumpLogs({&alpha, &beta});
}

}  // namespace
}  // namespace checker::test
