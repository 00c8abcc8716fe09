// The failure matrix: the alert path end to end, with real processes. Each
// row breaks one thing in a set of checkerd instances peering on loopback,
// mailing through the real OpenSMTPD + Dovecot of the "mail" fixture, and
// asserts that the right mail arrives in the right admin's IMAP inbox. The
// time from the fault to the mail being readable is printed and written to
// <build>/test-artifacts/failure_matrix/ROW.txt (BENCHMARKS.md, "Time to
// alert", carries them with the intervals that bound them).
//
// Intervals, short so the matrix runs in about a minute: jobs every 2 s;
// peers asked every 2 s (timeout 2 s), mailed after 2 failed answers;
// JobProblem after 10 s without a heartbeat; alpha's self-check every 2 s in
// the mail-path row.
//
// Mailbox users (tests/mail/CMakeLists.txt): u26..u34 the admins told about
// an instance; u14..u18, u35 and u36 the admins of the instances that watch
// it (mail to them would be a wrong alert).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "common/clock.h"
#include "support/checker_instance.h"
#include "support/mail_fixture.h"
#include "support/run_history.h"
#include "support/tcp_forwarder.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

const std::string kSecret = "the failure matrix's shared secret";
const std::string kPeerd =
    "check_every = 2s\ntimeout = 2s\njobproblem_after = 10s\nnotify = state_change\nfailures_before_notify = 2\n"
    "recover_after = 1\n";
constexpr auto kMailWait = 60s;  // far above every bound: a miss is a lost alert

// A tcp job on 127.0.0.1:PORT every 2 s, mailed at its first failure.
std::string tcpJob(const std::string& name, int port) {
  return "[job " + name + "]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(port) +
         "\nevery = 2s\ntimeout = 1s\nnotify = state_change\nfailures_before_notify = 1\n";
}

// The subject of the alert for a tcp job on PORT failing on INSTANCE.
std::string refusedSubject(const CheckerInstance& instance, uint16_t port) {
  return "[" + instance.name + "] could not connect to 127.0.0.1:" + std::to_string(port);
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class FailureMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
    tag_ = std::to_string(::getpid());
  }

  void TearDown() override {
    for (CheckerInstance* i : instances_) {
      if (HasFailure()) i->dumpLog();
      if (i->daemon) ::kill(-i->daemon->pid(), SIGCONT);  // a stopped row ends running
    }
  }

  // An instance named NAME-PID whose admin is mailbox user ADMIN.
  CheckerInstance& instance(const std::string& name, int admin) {
    owned_.push_back(std::make_unique<CheckerInstance>());
    CheckerInstance& i = *owned_.back();
    i.name = name + "-" + tag_;
    i.port = freeLoopbackPort();
    i.admin = admin;
    instances_.push_back(&i);
    mail_.clearMailbox(admin);
    return i;
  }

  // Writes SELF's config: sending as u1 through SMTP_PORT (the shared
  // submission server unless a row owns a forwarder), peering with PEER_LINES.
  void configure(CheckerInstance& self, const std::string& peerLines, const std::string& jobs = "",
                 int smtpPort = 0, int sender = 1, const std::string& emailExtra = "") {
    InstanceConfig c;
    c.stateDir = dir_.file(self.name + "-state");
    c.sender = sender;
    c.smtpPort = smtpPort != 0 ? smtpPort : mail_.submissionPort;
    c.emailExtra = emailExtra;
    c.peerdSettings = kPeerd;
    c.peerLines = peerLines;
    c.jobs = jobs;
    self.config = dir_.write(self.name + ".cfg", instanceConfig(self, mail_, c));
    ::chmod(self.config.c_str(), 0600);  // a password and a secret
  }

  // Three instances, each peering with the other two (alpha and beta with
  // a shared secret, gamma with the original's plain answer), started in
  // ORDER; returns once both others have found WATCHED healthy.
  void startThree(CheckerInstance& alpha, CheckerInstance& beta, CheckerInstance& gamma,
                  std::initializer_list<CheckerInstance*> order, CheckerInstance& watched) {
    configure(alpha, peerLine(beta, mail_, kSecret) + peerLine(gamma, mail_));
    configure(beta, peerLine(alpha, mail_, kSecret) + peerLine(gamma, mail_));
    configure(gamma, peerLine(alpha, mail_) + peerLine(beta, mail_));
    for (CheckerInstance* i : order) ASSERT_NO_FATAL_FAILURE(i->start());
    for (CheckerInstance* i : {&alpha, &beta, &gamma}) {
      if (i != &watched) {
        ASSERT_NO_FATAL_FAILURE(awaitPeerOk(*i, watched));
      }
    }
  }

  // "[WATCHER] peer PEER (URL)": how WATCHER's mail about PEER begins.
  static std::string aboutPeer(const CheckerInstance& watcher, const CheckerInstance& peer) {
    return "[" + watcher.name + "] peer " + peer.name + " (" + peer.url() + ")";
  }

  // Waits until WATCHER has had an answer from PEER that it calls ok.
  void awaitPeerOk(CheckerInstance& watcher, const CheckerInstance& peer, size_t from = 0) {
    ASSERT_NE(watcher.daemon->waitForLine("job peer " + peer.name + ": ok", 30s, from), "")
        << watcher.name << " never found " << peer.name << " healthy";
  }

  // Has WATCHER recorded an ok answer from PEER to a question asked after
  // SINCE_UNIX_MS? Polls WATCHER's run history (written within 50 ms of
  // each answer; only a change of state is logged).
  bool answeredOkSince(const CheckerInstance& watcher, const CheckerInstance& peer, int64_t sinceUnixMs) {
    for (auto deadline = Clock::now() + 20s; Clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
      for (const RecordedRun& run : recordedRuns(dir_.file(watcher.name + "-state"), "peer:" + peer.url())) {
        if (run.startedUnixMs > sinceUnixMs && run.outcome == ipc::Outcome::OK) return true;
      }
    }
    return false;
  }

  // The mail in INBOX whose subject has SUBJECT, after the fault at START:
  // its time to alert is reported as ROW; false if it never came.
  bool alertArrives(const std::string& row, int inbox, const std::string& subject, Clock::time_point start,
                    const std::string& bound) {
    MailMessage m;
    if (!mail_.waitForMessage(inbox, subject, kMailWait, &m)) {
      ADD_FAILURE() << row << ": no mail \"" << subject << "\" in u" << inbox << " within " << kMailWait.count()
                    << " s\n" << mail_.serverLogs();
      return false;
    }
    report(row, secondsSince(start), bound);
    return true;
  }

  void report(const std::string& row, double seconds, const std::string& bound) {
    std::printf("[time to alert] %s: %.1f s (bound: %s)\n", row.c_str(), seconds, bound.c_str());
    std::string dir = std::string(CHECKER_ARTIFACTS_DIR) + "/failure_matrix";
    ::mkdir(CHECKER_ARTIFACTS_DIR, 0755);
    ::mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/" + row + ".txt") << row << "\t" << seconds << "\t" << bound << "\n";
  }

  // Nothing was mailed to INBOX (an admin no row's fault concerns).
  void expectNoMail(int inbox) {
    for (const MailMessage& m : mail_.fetchAll(inbox)) ADD_FAILURE() << "u" << inbox << " got: " << m.subject;
  }

  TempDir dir_;
  MailFixture mail_;
  std::string tag_;
  std::vector<std::unique_ptr<CheckerInstance>> owned_;
  std::vector<CheckerInstance*> instances_;
};

// Row 1: a watched service goes down, then comes back: its instance mails
// its own admin, then the recovery. beta, alpha's peer, says nothing.
TEST_F(FailureMatrix, AWatchedServiceDownThenBackIsMailedToItsOwnAdmin) {
  TcpForwarder service(static_cast<uint16_t>(mail_.imapPort));  // a real service behind a switch
  CheckerInstance& alpha = instance("svc-alpha", 26);
  CheckerInstance& beta = instance("svc-beta", 35);
  configure(alpha, peerLine(beta, mail_), tcpJob("web", service.port()));
  configure(beta, peerLine(alpha, mail_));
  ASSERT_NO_FATAL_FAILURE(alpha.start());
  ASSERT_NO_FATAL_FAILURE(beta.start());
  ASSERT_NE(alpha.daemon->waitForLine("job web: ok", 30s), "");

  Clock::time_point down = Clock::now();
  service.down();
  ASSERT_TRUE(alertArrives("service-down", alpha.admin, refusedSubject(alpha, service.port()), down,
                           "job every 2 s + mail delivery"));
  Clock::time_point up = Clock::now();
  ASSERT_TRUE(service.up());
  ASSERT_TRUE(alertArrives("service-back", alpha.admin, "[" + alpha.name + "] web recovered", up,
                           "job every 2 s + mail delivery"));
  EXPECT_EQ(mail_.countMessages(alpha.admin, refusedSubject(alpha, service.port())), 1u)
      << "one episode, notify = state_change: one alert";
  expectNoMail(beta.admin);
}

// Row 2: alpha's SMTP path breaks; its self-check fails, alpha answers
// MailProblem, and beta mails alpha's admin (through beta's own path).
TEST_F(FailureMatrix, ABrokenSmtpPathIsMailedByThePeerAsMailProblem) {
  CheckerInstance& alpha = instance("smtp-alpha", 27);
  CheckerInstance& beta = instance("smtp-beta", 36);
  const int alphaSender = 28;  // alpha mails itself as u28 and reads it back
  mail_.clearMailbox(alphaSender);
  TcpForwarder smtp(static_cast<uint16_t>(mail_.submissionPort));
  configure(alpha, peerLine(beta, mail_, kSecret), "", smtp.port(), alphaSender,
            "selfcheck_every = 2s\nselfcheck_deadline = 10s\n");
  configure(beta, peerLine(alpha, mail_, kSecret));
  ASSERT_NO_FATAL_FAILURE(alpha.start());
  ASSERT_NO_FATAL_FAILURE(beta.start());
  ASSERT_NE(alpha.daemon->waitForLine("job email self-check: ok", 30s), "");
  ASSERT_NO_FATAL_FAILURE(awaitPeerOk(beta, alpha));

  Clock::time_point broken = Clock::now();
  smtp.down();
  std::string about = aboutPeer(beta, alpha);
  ASSERT_TRUE(alertArrives("smtp-path-broken", alpha.admin, about + ": MailProblem", broken,
                           "self-check every 2 s + 2 peer checks every 2 s + mail delivery"));
  Clock::time_point fixed = Clock::now();
  ASSERT_TRUE(smtp.up());
  ASSERT_TRUE(alertArrives("smtp-path-fixed", alpha.admin, about + " answers True again", fixed,
                           "self-check every 2 s + peer check every 2 s + mail delivery"));
  expectNoMail(beta.admin);
}

// Row 3: alpha's supervisor is stopped (SIGSTOP): its peerd still answers,
// JobProblem once the heartbeat is 10 s late; both peers mail alpha's admin.
TEST_F(FailureMatrix, AStoppedSupervisorIsMailedByBothPeersAsJobProblem) {
  CheckerInstance& alpha = instance("stop-alpha", 30);
  CheckerInstance& beta = instance("stop-beta", 14);
  CheckerInstance& gamma = instance("stop-gamma", 15);
  ASSERT_NO_FATAL_FAILURE(startThree(alpha, beta, gamma, {&alpha, &beta, &gamma}, alpha));

  Clock::time_point stopped = Clock::now();
  ASSERT_EQ(::kill(alpha.daemon->pid(), SIGSTOP), 0);
  const std::string bound = "jobproblem_after 10 s + 2 peer checks every 2 s + mail delivery";
  ASSERT_TRUE(alertArrives("supervisor-stopped", alpha.admin, aboutPeer(beta, alpha) + ": JobProblem", stopped, bound));
  ASSERT_TRUE(alertArrives("supervisor-stopped-2nd-peer", alpha.admin, aboutPeer(gamma, alpha) + ": JobProblem",
                           stopped, bound));
  Clock::time_point resumed = Clock::now();
  ASSERT_EQ(::kill(alpha.daemon->pid(), SIGCONT), 0);
  ASSERT_TRUE(alertArrives("supervisor-resumed", alpha.admin, aboutPeer(beta, alpha) + " answers True again", resumed,
                           "heartbeat + peer check every 2 s + mail delivery"));
  expectNoMail(beta.admin);
  expectNoMail(gamma.admin);
}

// Row 4: gamma dies entirely (its whole process group, peerd included):
// nothing answers on its port; both peers mail its admin.
TEST_F(FailureMatrix, AnInstanceThatDiesIsMailedByBothPeersAsNotResponding) {
  CheckerInstance& alpha = instance("dead-alpha", 16);
  CheckerInstance& beta = instance("dead-beta", 17);
  CheckerInstance& gamma = instance("dead-gamma", 32);
  // gamma first: its peers never see it missing before the fault.
  ASSERT_NO_FATAL_FAILURE(startThree(alpha, beta, gamma, {&gamma, &alpha, &beta}, gamma));

  Clock::time_point died = Clock::now();
  gamma.killAll();
  const std::string bound = "2 peer checks every 2 s + mail delivery";
  ASSERT_TRUE(alertArrives("instance-dead", gamma.admin, aboutPeer(alpha, gamma) + ": not responding", died, bound));
  ASSERT_TRUE(alertArrives("instance-dead-2nd-peer", gamma.admin, aboutPeer(beta, gamma) + ": not responding", died,
                           bound));
  Clock::time_point restarted = Clock::now();
  ASSERT_NO_FATAL_FAILURE(gamma.start());
  ASSERT_TRUE(alertArrives("instance-back", gamma.admin, aboutPeer(alpha, gamma) + " answers True again", restarted,
                           "start + peer check every 2 s + mail delivery"));
  expectNoMail(alpha.admin);
  expectNoMail(beta.admin);
}

// Row 5: alpha's peerd and then its mailer are SIGKILLed. Each is back
// within a second; the peer never sees two missed answers in a row, so it
// mails nothing; the alert the dead mailer held is delivered by the new one.
TEST_F(FailureMatrix, AKilledMailerOrPeerdIsBackWithinASecondAndNoAlertIsLost) {
  TcpForwarder service(static_cast<uint16_t>(mail_.imapPort));
  TcpForwarder smtp(static_cast<uint16_t>(mail_.submissionPort));
  CheckerInstance& alpha = instance("helper-alpha", 33);
  CheckerInstance& beta = instance("helper-beta", 18);
  configure(alpha, peerLine(beta, mail_, kSecret), tcpJob("web", service.port()), smtp.port());
  configure(beta, peerLine(alpha, mail_, kSecret));
  ASSERT_NO_FATAL_FAILURE(alpha.start());
  ASSERT_NO_FATAL_FAILURE(beta.start());
  ASSERT_NE(alpha.daemon->waitForLine("job web: ok", 30s), "");
  ASSERT_NO_FATAL_FAILURE(awaitPeerOk(beta, alpha));

  // peerd: killed, started again, answering on its port.
  pid_t peerd = alpha.childPid("peerd");
  ASSERT_GT(peerd, 0);
  size_t from = alpha.daemon->lines().size();
  Clock::time_point killed = Clock::now();
  int64_t killedUnixMs = wallClockNowMs();
  ASSERT_EQ(::kill(peerd, SIGKILL), 0);
  ASSERT_NE(alpha.daemon->waitForLine("peerd: answering peers on 127.0.0.1:" + std::to_string(alpha.port), 10s, from),
            "");
  double peerdBack = secondsSince(killed);
  report("peerd-restart", peerdBack, "restart without backoff after a clean run");
  EXPECT_LT(peerdBack, 1.0) << "peerd was not back within a second";
  // beta's next question gets a good answer from the new peerd.
  ASSERT_TRUE(answeredOkSince(beta, alpha, killedUnixMs)) << "beta had no good answer from alpha after the restart";

  // The mailer, while it holds an alert it cannot deliver yet.
  smtp.down();
  service.down();
  std::string attempt = alpha.daemon->waitForLine("not delivered (attempt 1)", 30s);
  ASSERT_NE(attempt, "") << "the alert never reached the mailer";
  pid_t mailer = alpha.childPid("mailer");
  ASSERT_GT(mailer, 0);
  from = alpha.daemon->lines().size();
  killed = Clock::now();
  ASSERT_EQ(::kill(mailer, SIGKILL), 0);
  ASSERT_NE(alpha.daemon->waitForLine("mailer started (pid", 10s, from), "");
  double mailerBack = secondsSince(killed);
  report("mailer-restart", mailerBack, "restart without backoff after a clean run");
  EXPECT_LT(mailerBack, 1.0) << "the mailer was not back within a second";
  Clock::time_point smtpBack = Clock::now();
  ASSERT_TRUE(smtp.up());
  ASSERT_TRUE(alertArrives("alert-after-mailer-killed", alpha.admin, refusedSubject(alpha, service.port()), smtpBack,
                           "outbox retry (1 s, doubling) + mail delivery"));
  ASSERT_THAT(alpha.statusMatching("outbox: empty", 20s), HasSubstr("outbox: empty"));
  size_t copies = mail_.countMessages(alpha.admin, refusedSubject(alpha, service.port()));
  EXPECT_GE(copies, 1u);
  EXPECT_LE(copies, 2u) << "more copies than one resend after one mailer death explains";
  std::printf("[failure matrix] alert copies after a mailer kill: %zu\n", copies);
  EXPECT_EQ(mail_.countMessages(alpha.admin, "not responding"), 0u) << "beta reported peerd's one-second restart";
  expectNoMail(beta.admin);
}

// Row 6: the supervisor itself is SIGKILLed (checkerd only: its children
// must go on their own) while two alerts wait in the outbox; started again
// on the same state, it delivers them, and does not alert the same episode
// again.
TEST_F(FailureMatrix, ASupervisorKilledWithAlertsPendingDeliversThemAfterRestart) {
  TcpForwarder service1(static_cast<uint16_t>(mail_.imapPort));
  TcpForwarder service2(static_cast<uint16_t>(mail_.imapPort));
  TcpForwarder smtp(static_cast<uint16_t>(mail_.submissionPort));
  CheckerInstance& alpha = instance("crash-alpha", 34);
  configure(alpha, "", tcpJob("web1", service1.port()) + tcpJob("web2", service2.port()), smtp.port());
  ASSERT_NO_FATAL_FAILURE(alpha.start());
  ASSERT_NE(alpha.daemon->waitForLine("job web1: ok", 30s), "");
  ASSERT_NE(alpha.daemon->waitForLine("job web2: ok", 30s), "");

  smtp.down();
  Clock::time_point fault = Clock::now();
  service1.down();
  service2.down();
  ASSERT_THAT(alpha.statusMatching("outbox: 2 ", 20s), HasSubstr("outbox: 2 "));
  pid_t group = alpha.daemon->pid();
  ASSERT_EQ(::kill(group, SIGKILL), 0);
  alpha.daemon->stop(SIGKILL, 10s);  // reaps checkerd
  // Its children see their parent gone and leave: none is left to hold the
  // state, the port or a job.
  bool groupGone = false;
  for (auto deadline = Clock::now() + 10s; !groupGone && Clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
    groupGone = ::kill(-group, 0) != 0 && errno == ESRCH;  // no pidfd for a group: polled
  }
  ASSERT_TRUE(groupGone) << "processes of the killed checkerd are still running";
  ASSERT_TRUE(smtp.up());

  Clock::time_point restarted = Clock::now();
  ASSERT_NO_FATAL_FAILURE(alpha.start());
  ASSERT_TRUE(alertArrives("alerts-after-supervisor-killed", alpha.admin, refusedSubject(alpha, service1.port()),
                           restarted, "restart + outbox resend + mail delivery"));
  ASSERT_TRUE(alertArrives("alerts-after-supervisor-killed-2nd", alpha.admin, refusedSubject(alpha, service2.port()),
                           restarted, "restart + outbox resend + mail delivery"));
  report("service-down-to-alert-across-crash", secondsSince(fault), "includes the test's own steps");
  ASSERT_THAT(alpha.statusMatching("outbox: empty", 20s), HasSubstr("outbox: empty"));
  // Still failing after the restart: the same episode, already notified.
  size_t from = alpha.daemon->lines().size();
  ASSERT_NE(alpha.daemon->waitForLine("job web1: ", 10s, from), "");
  ASSERT_NE(alpha.daemon->waitForLine("job web1: ", 10s, alpha.daemon->lines().size()), "");
  for (const TcpForwarder* service : {&service1, &service2}) {
    size_t copies = mail_.countMessages(alpha.admin, refusedSubject(alpha, service->port()));
    EXPECT_EQ(copies, 1u) << service->port() << ": lost, or alerted again for the episode it had already alerted";
  }
}

}  // namespace
}  // namespace checker::test
