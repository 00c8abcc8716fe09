// A signed peer answer proves who answered, with real processes on
// loopback: checkerd instances (nomail) asking each other every second,
// and fake peers (tests/support/http_relay.h) that hold no secret but pass
// whatever question they get to a real instance's peerd and hand its
// signed answer back.
//
//   - a fake at a dead peer's address relaying B's question to B itself
//     (as asked, or with the asker renamed): B records that peer as
//     unverified, never healthy;
//   - a fake relaying B's question to a third instance C that holds the
//     same secret: C's answer names C, so B records the peer as unverified;
//   - meanwhile B and C, sharing the secret, see each other healthy, signed;
//     a [peers] name other than the peer's servername is refused with a
//     message that says so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/checker_instance.h"
#include "support/http_relay.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;
const std::string kSecret = "one secret for the whole fleet: relay-proof";

class PeerIdentity : public ::testing::Test {
 protected:
  void SetUp() override { ::chmod(dir_.path().c_str(), 0755); }
  void TearDown() override {
    if (!HasFailure()) return;
    for (CheckerInstance* i : started_) i->dumpLog();
  }

  // SELF's config: nomail, peerd on its port asking every second, PEER_LINES.
  void configure(CheckerInstance& self, const std::string& peerLines) {
    std::string text = "[general]\nservername = " + self.name + "\nalertcontact = admin@example.org\nstatefile = " +
                       dir_.file(self.name + "-state") + "\n[email]\nnomail = yes\n[peerd]\nlisten = 127.0.0.1:" +
                       std::to_string(self.port) +
                       "\ncheck_every = 1s\ntimeout = 2s\nnotify = state_change\nfailures_before_notify = 1\n"
                       "[peers]\n" + peerLines;
    self.config = dir_.write(self.name + ".cfg", text);
    ::chmod(self.config.c_str(), 0600);  // it holds a secret
  }
  void start(CheckerInstance& self) {
    started_.push_back(&self);
    ASSERT_NO_FATAL_FAILURE(self.start());
  }

  static std::string line(const std::string& name, const std::string& url) {
    return name + " = " + url + ",admin@example.org,secret=" + kSecret + "\n";
  }

  // The first result SELF logged for peer NAME that contains PART ("" if
  // none within 20 s). Other lines for that peer (not asked yet, ...) pass.
  static std::string resultFor(CheckerInstance& self, const std::string& name, const std::string& part) {
    const std::string prefix = "job peer " + name + ": ";
    auto deadline = std::chrono::steady_clock::now() + 20s;
    for (size_t from = 0;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      std::string found = self.daemon->waitForLine(prefix, left, from);
      if (found.empty() || found.find(part) != std::string::npos) return found;
      while (from < self.daemon->lines().size() && self.daemon->lines()[from] != found) ++from;
      ++from;
    }
  }

  // What `checker status --json` says of peer NAME ({"status", "message",
  // ...}) once its status is STATUS, or last within 10 s. The state is
  // written within 50 ms of an answer; there is no event to wait on but the
  // file, so this polls. (A peer is "no answer" while the instance a relay
  // passes on to is still starting.)
  static nlohmann::json peerStatus(const CheckerInstance& self, const std::string& name, const std::string& status) {
    nlohmann::json last = nlohmann::json::object();
    for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(50ms)) {
      std::string output = runCommand(kBin + "/checker status --json -c " + self.config + " 2>/dev/null").output;
      nlohmann::json report = nlohmann::json::parse(output, nullptr, false);
      if (!report.is_object() || !report["peers"].is_array()) continue;
      for (const nlohmann::json& peer : report["peers"]) {
        if (peer.value("name", "") != name) continue;
        last = peer;
        if (peer.value("status", "") == status) return peer;
      }
    }
    return last;
  }

  // Every answer the relay passed back was a signed 200: the attack was
  // really made, not refused on the way.
  static void expectSignedAnswersRelayed(const HttpRelay& relay) {
    EXPECT_GT(relay.relayed(), 0);
    for (const std::string& status : relay.upstreamStatusLines()) EXPECT_EQ(status, "HTTP/1.1 200 OK");
  }

  TempDir dir_;
  std::vector<CheckerInstance*> started_;
};

// B asks "gone", whose address a fake holds: it relays B's own question to
// B's own peerd, as asked ("as-asked") or with the asker renamed
// ("renamed"). B signs its own answer each time; B must not take it for
// the peer's.
TEST_F(PeerIdentity, OurOwnAnswerRelayedBackIsNotAHealthyPeer) {
  std::string tag = std::to_string(::getpid());
  CheckerInstance b{"b-" + tag, freeLoopbackPort(), 0, "", nullptr};
  HttpRelay asAsked(static_cast<uint16_t>(b.port));
  HttpRelay renamed(static_cast<uint16_t>(b.port), [](const std::string& target) {
    size_t from = target.find("from=");
    return from == std::string::npos ? target : target.substr(0, from) + "from=gone-" + target.substr(from + 5);
  });
  const std::string gone = "gone-" + tag, gone2 = "gone2-" + tag;
  configure(b, line(gone, asAsked.url()) + line(gone2, renamed.url()));
  ASSERT_NO_FATAL_FAILURE(start(b));

  std::string reflected = resultFor(b, gone, "answer could not be verified");
  EXPECT_THAT(reflected, HasSubstr("the answer is signed as this instance itself ('" + b.name + "')"));
  std::string renamedResult = resultFor(b, gone2, "answer could not be verified");
  EXPECT_THAT(renamedResult, HasSubstr("the answer is signed as this instance itself"));
  expectSignedAnswersRelayed(asAsked);
  expectSignedAnswersRelayed(renamed);
  for (const std::string& name : {gone, gone2}) {
    nlohmann::json peer = peerStatus(b, name, "unverified");
    EXPECT_EQ(peer.value("status", ""), "unverified") << peer.dump();
    EXPECT_THAT(peer.value("message", ""), HasSubstr("signed as this instance itself")) << peer.dump();
  }
  b.daemon->drain();
  for (const std::string& logged : b.daemon->lines()) {
    EXPECT_THAT(logged, ::testing::Not(HasSubstr("job peer " + gone + ": ok")));
    EXPECT_THAT(logged, ::testing::Not(HasSubstr("job peer " + gone2 + ": ok")));
  }
  // `checker peers` asks the same way and says the same.
  CommandResult asked = runCommand(kBin + "/checker peers -c " + b.config);
  EXPECT_EQ(asked.exitCode, 1) << asked.output;
  EXPECT_THAT(asked.output, HasSubstr("signed as this instance itself"));
}

// B and C share the fleet's secret and see each other healthy. B also
// asks "gone", whose fake relays B's question to C: C's genuine answer
// names C, not "gone". C's line for B under another name is refused with
// a message naming B's servername.
TEST_F(PeerIdentity, AThirdInstancesAnswerIsNotThePeersAndTheRealPairIsHealthy) {
  std::string tag = std::to_string(::getpid());
  CheckerInstance b{"b-" + tag, freeLoopbackPort(), 0, "", nullptr};
  CheckerInstance c{"c-" + tag, freeLoopbackPort(), 0, "", nullptr};
  HttpRelay toC(static_cast<uint16_t>(c.port));
  const std::string gone = "gone-" + tag, alias = "alias-of-b-" + tag;
  configure(b, line(c.name, c.url()) + line(gone, toC.url()));
  configure(c, line(b.name, b.url()) + line(alias, b.url() + "/another/path"));
  ASSERT_NO_FATAL_FAILURE(start(b));
  ASSERT_NO_FATAL_FAILURE(start(c));

  EXPECT_NE(resultFor(b, c.name, ": ok"), "");
  EXPECT_NE(resultFor(c, b.name, ": ok"), "");
  std::string third = resultFor(b, gone, "answer could not be verified");
  EXPECT_THAT(third, HasSubstr("the answer names '" + c.name + "' as who answered, not '" + gone + "'"));
  expectSignedAnswersRelayed(toC);
  std::string misnamed = resultFor(c, alias, "answer could not be verified");
  EXPECT_THAT(misnamed, HasSubstr("names '" + b.name + "' as who answered, not '" + alias +
                                  "' (with a secret, a peer's [peers] name must be its servername)"));

  EXPECT_EQ(peerStatus(b, gone, "unverified").value("status", ""), "unverified");
  EXPECT_EQ(peerStatus(b, c.name, "healthy").value("status", ""), "healthy");
  EXPECT_EQ(peerStatus(c, b.name, "healthy").value("status", ""), "healthy");
  CommandResult asked = runCommand(kBin + "/checker peers -c " + c.config + " --json");
  nlohmann::json answers = nlohmann::json::parse(asked.output, nullptr, false);
  ASSERT_TRUE(answers.is_object()) << asked.output;
  for (const nlohmann::json& peer : answers["peers"]) {
    bool real = peer.value("name", "") == b.name;
    EXPECT_EQ(peer.value("status", ""), real ? "healthy" : "unverified") << peer.dump();
    EXPECT_EQ(peer.value("authenticated", false), real) << peer.dump();
  }
}

}  // namespace
}  // namespace checker::test
