// Peer-confirmed alerts (confirm_with, issue 19) end to end: three real
// checkerd instances asking each other over the signed /v2/confirm and
// mailing through the real OpenSMTPD + Dovecot of the "mail" fixture, their
// admins' IMAP inboxes read back.
//
// alpha runs in a network namespace the test makes (NetworkNamespace): its
// 127.0.0.1 is not the host's, so a target on the host's loopback is
// unreachable from alpha only. bravo and charlie run on the host. The peers
// reach each other over the namespace's veth (alpha at its inside address,
// bravo and charlie at the host's end); alpha reaches the mail servers, which
// listen on the host's loopback, through forwarders the test puts on the
// namespace's own loopback, so alpha connects to "localhost" and verifies
// the servers' certificate as the others do.
//   - A target up on the host, failing from alpha only: alpha holds its
//     notice as unconfirmed (bravo and charlie see it ok), nobody is mailed
//     about the job, and alpha's own admin alone is told once that most
//     confirmed jobs fail from there only.
//   - A target that goes down for all three: each instance's admin gets one
//     mail about it, naming the other two as confirming.
//
// Mailbox users (tests/mail/CMakeLists.txt): u19, u41..u45.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/checker_instance.h"
#include "support/loopback_ports.h"
#include "support/mail_fixture.h"
#include "support/network_namespace.h"
#include "support/quoted_printable.h"
#include "support/run_command.h"
#include "support/tcp_forwarder.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// The mailbox users told about alpha, bravo and charlie, per test.
struct Admins {
  int alpha = 0, bravo = 0, charlie = 0;
};

// A tcp job on 127.0.0.1:PORT every second, its failure notice confirmed by PEERS.
std::string confirmedJob(const std::string& name, uint16_t port, const std::string& peers) {
  return "[job " + name + "]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(port) +
         "\nevery = 1s\ntimeout = 1s\nconfirm_with = " + peers + "\n";
}

// The text of MAIL's body (quoted-printable: a long line may be broken anywhere).
std::string bodyText(const MailMessage& mail) {
  size_t end = mail.raw.find("\r\n\r\n");
  return end == std::string::npos ? "" : decodeQuotedPrintable(mail.raw.substr(end + 4));
}

class PeerConfirmedAlerts : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir_.path().c_str(), 0755);
    mail_ = MailFixture::load();
    try {
      ns_.emplace();
      // The mail servers as alpha sees them: the same, on its own loopback.
      auto insideSocket = [this] {
        return ns_->inside([] { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
      };
      submission_.emplace(static_cast<uint16_t>(mail_.submissionPort), insideSocket);
      imaps_.emplace(static_cast<uint16_t>(mail_.imapsPort), insideSocket);
    } catch (const std::exception& e) {
      FAIL() << "the network namespace: " << e.what();
    }
    ASSERT_NE(submission_->port(), 0);
    ASSERT_NE(imaps_->port(), 0);
    alpha_.host = ns_->insideAddress();
    alpha_.commandPrefix = ns_->execPrefix();
    bravo_.host = charlie_.host = ns_->hostAddress();
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (CheckerInstance* i : {&alpha_, &bravo_, &charlie_}) i->dumpLog();
  }

  // The three configs: each peers with the other two (a secret per pair),
  // runs JOBS(the names of those two, for confirm_with) and has its admin
  // from ADMINS.
  template <typename Jobs>
  void configure(const Admins& admins, Jobs jobs) {
    alpha_.admin = admins.alpha;
    bravo_.admin = admins.bravo;
    charlie_.admin = admins.charlie;
    const std::string ab = "alpha and bravo", ac = "alpha and charlie", bc = "bravo and charlie";
    MailFixture fromAlpha = mail_;
    fromAlpha.imapsPort = imaps_->port();
    write(alpha_, fromAlpha, submission_->port(), peerLine(bravo_, mail_, ab) + peerLine(charlie_, mail_, ac),
          jobs("bravo, charlie"));
    write(bravo_, mail_, mail_.submissionPort, peerLine(alpha_, mail_, ab) + peerLine(charlie_, mail_, bc),
          jobs("alpha, charlie"));
    write(charlie_, mail_, mail_.submissionPort, peerLine(alpha_, mail_, ac) + peerLine(bravo_, mail_, bc),
          jobs("alpha, bravo"));
    for (int admin : {admins.alpha, admins.bravo, admins.charlie}) mail_.clearMailbox(admin);
  }

  // SELF's config with PEER_LINES and JOBS, mailing through SEEN_FROM_HERE's
  // servers on SMTP_PORT;
  // the peers' status is asked only hourly: these tests are about confirm.
  void write(CheckerInstance& self, const MailFixture& seenFromHere, int smtpPort, const std::string& peerLines,
             const std::string& jobs) {
    InstanceConfig c;
    c.stateDir = dir_.file(self.name + "-state");
    c.smtpPort = smtpPort;
    c.emailExtra = "selfcheck_every = 1h\n";
    c.peerdSettings = "check_every = 1h\ntimeout = 2s\n";
    c.peerLines = peerLines;
    c.jobs = jobs;
    self.config = dir_.write(self.name + ".cfg", instanceConfig(self, seenFromHere, c));
    ::chmod(self.config.c_str(), 0600);  // it holds secrets
  }

  // `checker status --json` of SELF once PREDICATE holds for it, or its last
  // answer after TIMEOUT (the state is written within a loop turn of an
  // event; there is no event to wait on but the file, so this polls).
  template <typename Predicate>
  static nlohmann::json statusWhen(const CheckerInstance& self, Predicate predicate, std::chrono::milliseconds timeout) {
    nlohmann::json status;
    for (auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(100ms)) {
      CommandResult r = runCommand(std::string(CHECKER_BIN_DIR) + "/checker status --json -c " + self.config);
      status = nlohmann::json::parse(r.output, nullptr, false);
      if (!status.is_discarded() && predicate(status)) break;
    }
    return status;
  }

  static const nlohmann::json* job(const nlohmann::json& status, const std::string& name) {
    if (!status.is_object() || !status["jobs"].is_array()) return nullptr;
    for (const nlohmann::json& j : status["jobs"]) {
      if (j["name"] == name) return &j;
    }
    return nullptr;
  }

  // Whether JOB is in STATE on every one of INSTANCES.
  static bool everywhere(std::initializer_list<const CheckerInstance*> instances, const std::string& name,
                         const std::string& state, std::chrono::milliseconds timeout) {
    for (const CheckerInstance* i : instances) {
      auto inState = [&](const nlohmann::json& s) {
        const nlohmann::json* j = job(s, name);
        return j != nullptr && (*j)["state"] == state;
      };
      if (!inState(statusWhen(*i, inState, timeout))) return false;
    }
    return true;
  }

  // SELF's status once JOB has run MORE times after STATUS (or its last
  // after TIMEOUT): a notice wrongly let out by a later run would be queued
  // by then.
  static nlohmann::json afterMoreRuns(const CheckerInstance& self, const nlohmann::json& status, const std::string& name,
                                      uint64_t more, std::chrono::milliseconds timeout) {
    const nlohmann::json* before = job(status, name);
    uint64_t runs = before == nullptr ? 0 : (*before)["runs"].get<uint64_t>();
    auto ranMore = [&](const nlohmann::json& s) {
      const nlohmann::json* j = job(s, name);
      return j != nullptr && (*j)["runs"].get<uint64_t>() >= runs + more;
    };
    return statusWhen(self, ranMore, timeout);
  }

  // Whether SELF's outbox is empty (everything queued was sent) within TIMEOUT.
  static bool outboxEmpty(const CheckerInstance& self, std::chrono::milliseconds timeout) {
    auto empty = [](const nlohmann::json& s) { return s.is_object() && s["outbox"]["pending"] == 0; };
    return empty(statusWhen(self, empty, timeout));
  }

  TempDir dir_;
  MailFixture mail_;
  // Declared before what runs in it or listens in it: destroyed after them.
  std::optional<NetworkNamespace> ns_;
  std::optional<TcpForwarder> submission_, imaps_;
  CheckerInstance alpha_{"alpha", freeLoopbackPort(), 0, "", nullptr};
  CheckerInstance bravo_{"bravo", freeLoopbackPort(), 0, "", nullptr};
  CheckerInstance charlie_{"charlie", freeLoopbackPort(), 0, "", nullptr};
};

TEST_F(PeerConfirmedAlerts, ATargetFailingFromOneInstanceOnlyIsHeldAndToldOnlyToItsOwnAdmin) {
  const Admins admins{19, 41, 42};
  uint16_t port = closedLoopbackPort();
  UniqueFd target = listenOnLoopback(port);  // the host's loopback: not alpha's
  ASSERT_TRUE(target.valid());
  configure(admins, [&](const std::string& peers) { return confirmedJob("shop", port, peers); });
  // bravo and charlie first: alpha's job fails at its first run and asks them.
  ASSERT_NO_FATAL_FAILURE(bravo_.start());
  ASSERT_NO_FATAL_FAILURE(charlie_.start());
  auto begin = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(alpha_.start());

  auto unconfirmed = [](const nlohmann::json& s) {
    const nlohmann::json* j = job(s, "shop");
    return j != nullptr && (*j)["state"] == "failing" && (*j)["notices_held"].is_object() &&
           (*j)["notices_held"]["by"] == "unconfirmed";
  };
  nlohmann::json status = statusWhen(alpha_, unconfirmed, 30s);
  ASSERT_TRUE(unconfirmed(status)) << status.dump(1);
  std::string reason = (*job(status, "shop"))["notices_held"]["reason"];
  EXPECT_THAT(reason, HasSubstr("this vantage point only")) << reason;
  EXPECT_THAT(reason, HasSubstr("bravo sees it ok")) << reason;
  EXPECT_THAT(reason, HasSubstr("charlie sees it ok")) << reason;
  EXPECT_EQ((*job(status, "shop"))["notified_failure"], false) << status.dump(1);

  MailMessage told;
  ASSERT_TRUE(mail_.waitForMessage(admins.alpha, "fail from here only", 30s, &told)) << mail_.serverLogs();
  std::printf("alpha's admin told %.1f s after alpha started\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count());
  EXPECT_THAT(told.subject, HasSubstr("[alpha] 1 of 1 confirmed jobs fail from here only"));
  EXPECT_THAT(bodyText(told), HasSubstr("  shop\r\n"));

  // Three more failing runs at alpha, still held; then everything each
  // queued was sent: the inboxes hold all they were to get.
  status = afterMoreRuns(alpha_, status, "shop", 3, 10s);
  EXPECT_TRUE(unconfirmed(status)) << "still held: " << status.dump(1);
  for (const CheckerInstance* i : {&alpha_, &bravo_, &charlie_}) {
    ASSERT_TRUE(outboxEmpty(*i, 30s)) << i->name;
  }
  ASSERT_TRUE(everywhere({&bravo_, &charlie_}, "shop", "ok", 1s));
  std::vector<MailMessage> alphas = mail_.fetchAll(admins.alpha);
  ASSERT_EQ(alphas.size(), 1u) << "only the notice about alpha's own network";
  EXPECT_EQ(mail_.fetchAll(admins.bravo).size(), 0u);
  EXPECT_EQ(mail_.fetchAll(admins.charlie).size(), 0u);
}

TEST_F(PeerConfirmedAlerts, ATargetDownForAllThreeIsMailedOnceByEachNamingTheOthers) {
  const Admins admins{43, 44, 45};
  uint16_t port = closedLoopbackPort();
  // Up for all three first: on the host's loopback and on alpha's own.
  UniqueFd onHost = listenOnLoopback(port);
  UniqueFd inAlpha = ns_->inside([port] { return listenOnLoopback(port); });
  ASSERT_TRUE(onHost.valid());
  ASSERT_TRUE(inAlpha.valid());
  configure(admins, [&](const std::string& peers) { return confirmedJob("db", port, peers); });
  ASSERT_NO_FATAL_FAILURE(alpha_.start());
  ASSERT_NO_FATAL_FAILURE(bravo_.start());
  ASSERT_NO_FATAL_FAILURE(charlie_.start());
  ASSERT_TRUE(everywhere({&alpha_, &bravo_, &charlie_}, "db", "ok", 30s)) << "ok everywhere first";

  onHost.reset();
  inAlpha.reset();
  auto down = std::chrono::steady_clock::now();
  for (CheckerInstance* i : {&alpha_, &bravo_, &charlie_}) {
    MailMessage mail;
    ASSERT_TRUE(mail_.waitForMessage(i->admin, "[" + i->name + "] db is failing", 40s, &mail))
        << i->name << "'s admin\n" << mail_.serverLogs();
    std::printf("%s's admin mailed %.1f s after the target went down\n", i->name.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - down).count());
    // The other two, in its confirm_with order.
    std::vector<std::string> others;
    for (const CheckerInstance* o : {&alpha_, &bravo_, &charlie_}) {
      if (o != i) others.push_back(o->name);
    }
    EXPECT_THAT(mail.subject, HasSubstr("could not connect to 127.0.0.1:" + std::to_string(port)));
    EXPECT_THAT(bodyText(mail),
                HasSubstr("Confirmed by its peers: failing from " + i->name + " (here), " + others[0] + " and " +
                          others[1] + "."));
  }
  // Three more failing runs each, then everything each queued was sent:
  // the inboxes hold all they were to get.
  for (const CheckerInstance* i : {&alpha_, &bravo_, &charlie_}) {
    nlohmann::json status = afterMoreRuns(*i, statusWhen(*i, [](const nlohmann::json&) { return true; }, 1s), "db", 3, 10s);
    const nlohmann::json* db = job(status, "db");
    ASSERT_NE(db, nullptr) << status.dump(1);
    EXPECT_EQ((*db)["state"], "failing");
    EXPECT_EQ((*db)["notified_failure"], true);
    EXPECT_TRUE((*db)["notices_held"].is_null()) << db->dump();
  }
  for (const CheckerInstance* i : {&alpha_, &bravo_, &charlie_}) {
    ASSERT_TRUE(outboxEmpty(*i, 30s)) << i->name;
    EXPECT_EQ(mail_.fetchAll(i->admin).size(), 1u) << i->name << "'s admin: one mail about db, nothing else";
  }
}

}  // namespace
}  // namespace checker::test
