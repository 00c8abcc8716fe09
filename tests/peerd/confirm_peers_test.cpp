// Peer-confirmed views (issue 19) between three real checkerd instances on
// loopback, through `checker confirm`: alpha asks bravo and charlie, which
// run the same tcp job on a closed port, for their own view of it over the
// signed /v2/confirm. A stale result makes a peer run its job now, once: a
// second question within 10 s is answered from its state. A job only alpha
// has is unknown to them; a stopped peer is unreachable within the
// deadline; a question under a secret the peer does not hold is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>

#include "support/checker_instance.h"
#include "support/loopback_ports.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ContainsRegex;

const std::string kBin = CHECKER_BIN_DIR;

class ConfirmPeers : public ::testing::Test {
 protected:
  void SetUp() override { ::chmod(dir_.path().c_str(), 0755); }
  void TearDown() override {
    if (!HasFailure()) return;
    for (CheckerInstance* i : started_) {
      if (i->daemon) i->dumpLog();
    }
  }

  // SELF's config: nomail, peerd on its port, PEER_LINES, JOBS. Peers are
  // asked about their status only hourly: these tests are about confirm.
  void configure(CheckerInstance& self, const std::string& peerLines, const std::string& jobs) {
    std::string text = "[general]\nservername = " + self.name + "\nalertcontact = admin@example.org\nstatefile = " +
                       dir_.file(self.name + "-state") + "\n[email]\nnomail = yes\n[peerd]\nlisten = 127.0.0.1:" +
                       std::to_string(self.port) + "\ncheck_every = 1h\ntimeout = 2s\n[peers]\n" + peerLines + jobs;
    self.config = dir_.write(self.name + ".cfg", text);
    ::chmod(self.config.c_str(), 0600);  // it holds secrets
  }
  void start(CheckerInstance& self) {
    started_.push_back(&self);
    ASSERT_NO_FATAL_FAILURE(self.start());
  }
  static std::string line(const std::string& name, const CheckerInstance& at, const std::string& secret) {
    return name + " = " + at.url() + ",admin@example.org,secret=" + secret + "\n";
  }
  // `checker confirm -c ALPHA ARGS`, and how long it took.
  CommandResult confirm(const std::string& args, std::chrono::milliseconds* took = nullptr) {
    auto begin = std::chrono::steady_clock::now();
    CommandResult result = runCommand(kBin + "/checker confirm -c " + alpha_.config + " " + args);
    if (took) {
      *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
    }
    return result;
  }
  size_t runsNowLogged(CheckerInstance& self) {
    self.daemon->drain();
    size_t count = 0;
    for (const std::string& l : self.daemon->lines()) count += l.find("job db: run now, for a peer") != std::string::npos;
    return count;
  }

  TempDir dir_;
  std::vector<CheckerInstance*> started_;
  CheckerInstance alpha_{"alpha", freeLoopbackPort(), 0, "", nullptr};
  CheckerInstance bravo_{"bravo", freeLoopbackPort(), 0, "", nullptr};
  CheckerInstance charlie_{"charlie", freeLoopbackPort(), 0, "", nullptr};
};

TEST_F(ConfirmPeers, PeersGiveTheirOwnSignedViewRunningAStaleJobOnce) {
  const std::string ab = "alpha and bravo share this", ac = "alpha and charlie share that";
  std::string target = "127.0.0.1:" + std::to_string(closedLoopbackPort());
  std::string db = "[job db]\ntype = tcp\ntarget = " + target + "\nevery = 1h\n";
  configure(alpha_,
            line("bravo", bravo_, ab) + line("charlie", charlie_, ac) + "stranger = " + bravo_.url() + "/other,admin@example.org,secret=not bravo's\n",
            db + "confirm_with = bravo, charlie\n" + "[job mine]\ntype = tcp\ntarget = 127.0.0.1:" +
                std::to_string(closedLoopbackPort()) + "\nevery = 1h\n");
  configure(bravo_, line("alpha", alpha_, ab), db);
  configure(charlie_, line("alpha", alpha_, ac), db);
  ASSERT_NO_FATAL_FAILURE(start(alpha_));
  ASSERT_NO_FATAL_FAILURE(start(bravo_));
  ASSERT_NO_FATAL_FAILURE(start(charlie_));

  // Their results are older than now (or there are none): each runs its job now.
  CommandResult first = confirm("db");
  EXPECT_EQ(first.exitCode, 0) << first.output;
  EXPECT_THAT(first.output, ContainsRegex("peer bravo: failing \\(ran now, [0-9]+ ms ago\\): .*refused"));
  EXPECT_THAT(first.output, ContainsRegex("peer charlie: failing \\(ran now, [0-9]+ ms ago\\): "));
  EXPECT_EQ(runsNowLogged(bravo_), 1u);

  // Within 10 s: from the state, not run again.
  CommandResult second = confirm("db");
  EXPECT_EQ(second.exitCode, 0) << second.output;
  EXPECT_THAT(second.output, ContainsRegex("peer bravo: failing \\([0-9]+ (ms|s) ago\\): "));
  EXPECT_THAT(second.output, Not(HasSubstr("ran now")));
  EXPECT_EQ(runsNowLogged(bravo_), 1u) << "a peer ran its job twice within 10 s";

  // A job bravo does not run: unknown, never run on its behalf.
  CommandResult mine = confirm("--peers bravo mine");
  EXPECT_EQ(mine.exitCode, 0) << mine.output;
  EXPECT_THAT(mine.output, HasSubstr("peer bravo: unknown job"));

  // A secret bravo does not hold: refused (403), not a view.
  CommandResult stranger = confirm("--peers stranger db");
  EXPECT_EQ(stranger.exitCode, 1) << stranger.output;
  EXPECT_THAT(stranger.output, HasSubstr("peer stranger: refused: the peer holds no secret with our key id"));

  // charlie stopped: unreachable, well within the deadline ([peerd] timeout + 30 s).
  charlie_.killAll();
  std::chrono::milliseconds took{};
  CommandResult down = confirm("db", &took);
  EXPECT_EQ(down.exitCode, 1) << down.output;
  EXPECT_THAT(down.output, HasSubstr("peer bravo: failing"));
  EXPECT_THAT(down.output, HasSubstr("peer charlie: unreachable: not responding"));
  EXPECT_LT(took.count(), 32'000) << down.output;
}

}  // namespace
}  // namespace checker::test
