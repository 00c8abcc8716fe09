// `checker silence`, `silences` and `unsilence` against a real checkerd:
// a silence is listed, survives a kill -9 of checkerd and its restart, and
// is removed; bad input is refused with a clear message and exit code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "support/daemon_process.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

const std::string kBin = CHECKER_BIN_DIR;

class SilenceCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("settings.cfg",
                         "[general]\nservername = silence-test\nalertcontact = admin@example.org\n"
                         "statefile = " + dir_.file("state") + "\n[email]\nnomail = yes\n"
                         "[peerd]\nlisten = 127.0.0.1:0\n"
                         "[job web]\ntype = exec\ncommand = /bin/true\nevery = 1h\ntags = frontend\n"
                         "[job db]\ntype = exec\ncommand = /bin/echo db\nevery = 1h\n");
  }

  void startCheckerd() {
    daemon_ = std::make_unique<test::DaemonProcess>(std::vector<std::string>{kBin + "/checkerd", "-c", config_});
    ASSERT_NE(daemon_->waitForLine("ready: ", 20s), "") << ::testing::PrintToString(daemon_->lines());
  }

  // ARGS after "checker COMMAND -c CONFIG", stderr with stdout.
  test::CommandResult checker(const std::string& command, const std::string& args) {
    return test::runCommand(kBin + "/checker " + command + " -c " + config_ + " " + args + " 2>&1");
  }

  test::TempDir dir_;
  std::string config_;
  std::unique_ptr<test::DaemonProcess> daemon_;
};

TEST_F(SilenceCommand, ListedKeptOverAKillAndRemoved) {
  ASSERT_NO_FATAL_FAILURE(startCheckerd());
  test::CommandResult added = checker("silence", "web --for 2h --reason 'deploy 42'");
  EXPECT_EQ(added.exitCode, 0) << added.output;
  EXPECT_THAT(added.output, MatchesRegex("silence 1: web until [0-9-]+ [0-9:]+ UTC \\(deploy 42\\)\n"));
  test::CommandResult byTag = checker("silence", "--tag frontend --for=30m --reason=cdn");
  EXPECT_EQ(byTag.exitCode, 0) << byTag.output;
  EXPECT_THAT(byTag.output, HasSubstr("silence 2: tag frontend until"));

  test::CommandResult listed = checker("silences", "");
  EXPECT_EQ(listed.exitCode, 0) << listed.output;
  EXPECT_THAT(listed.output, MatchesRegex("ID +JOBS +UNTIL +REMAINING +REASON\n"
                                          " *1 +web +[0-9-]+ [0-9:]+ UTC +(2h 0m|1h 59m) +deploy 42\n"
                                          " *2 +tag frontend +[0-9-]+ [0-9:]+ UTC +30m +cdn\n"));

  ::kill(-daemon_->pid(), SIGKILL);  // checkerd and its children, no goodbye
  daemon_.reset();
  EXPECT_EQ(checker("silences", "").exitCode, 111) << "no checkerd to ask";
  ASSERT_NO_FATAL_FAILURE(startCheckerd());
  test::CommandResult kept = checker("silences", "--json");
  EXPECT_EQ(kept.exitCode, 0) << kept.output;
  EXPECT_THAT(kept.output, HasSubstr("{\"id\": 1, \"kind\": \"job\", \"value\": \"web\", \"selector\": \"web\", "
                                     "\"reason\": \"deploy 42\""));
  EXPECT_THAT(kept.output, HasSubstr("\"uid\": " + std::to_string(::getuid())));
  EXPECT_THAT(kept.output, HasSubstr("\"remaining_ms\": "));

  test::CommandResult removed = checker("unsilence", "1");
  EXPECT_EQ(removed.exitCode, 0) << removed.output;
  EXPECT_THAT(removed.output, HasSubstr("removed silence 1: web until"));
  EXPECT_EQ(checker("unsilence", "1").exitCode, 1);
  test::CommandResult left = checker("silences", "");
  EXPECT_THAT(left.output, Not(HasSubstr("deploy 42")));
  EXPECT_THAT(left.output, HasSubstr("tag frontend"));
  EXPECT_EQ(checker("silence", "--all --for 1m --reason 'all of them'").output.substr(0, 11), "silence 3: ")
      << "ids are not reused";
}

TEST_F(SilenceCommand, BadInputIsRefusedWithWhy) {
  ASSERT_NO_FATAL_FAILURE(startCheckerd());
  test::CommandResult unknown = checker("silence", "wbe --for 2h --reason x");
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_THAT(unknown.output, HasSubstr("checker silence: no job 'wbe' in " + config_ + "; did you mean 'web'?"));
  EXPECT_EQ(checker("silence", "'w*' --for 2h --reason glob").exitCode, 0) << "a glob that matches a job";
  EXPECT_EQ(checker("silence", "'x*' --for 2h --reason glob").exitCode, 2);
  test::CommandResult tag = checker("silence", "--tag fronted --for 2h --reason x");
  EXPECT_EQ(tag.exitCode, 2);
  EXPECT_THAT(tag.output, HasSubstr("no tag 'fronted' in " + config_ + "; did you mean 'frontend'?"));
  test::CommandResult shortOne = checker("silence", "web --for 10s --reason x");
  EXPECT_EQ(shortOne.exitCode, 2);
  EXPECT_THAT(shortOne.output, HasSubstr("checker silence: --for 10s: a silence lasts from 1m to 90d"));
  EXPECT_EQ(checker("silence", "web --for 91d --reason x").exitCode, 2);
  EXPECT_THAT(checker("silence", "web --for soon --reason x").output, HasSubstr("--for soon: expected a duration"));
  test::CommandResult longReason = checker("silence", "web --for 1h --reason " + std::string(10'240, 'r'));
  EXPECT_EQ(longReason.exitCode, 2);
  EXPECT_THAT(longReason.output, HasSubstr("--reason is 10240 bytes; at most 500"));
  EXPECT_THAT(checker("silence", "web --for 1h").output, HasSubstr("--reason TEXT is required"));
  EXPECT_THAT(checker("silence", "web db --for 1h --reason x").output, HasSubstr("give one of JOB, --tag TAG or --all"));
  EXPECT_EQ(checker("silence", "web --for 1h --reason x --bogus").exitCode, 2);
  test::CommandResult garbage = checker("unsilence", "7x");
  EXPECT_EQ(garbage.exitCode, 2);
  EXPECT_THAT(garbage.output, HasSubstr("'7x' is not a silence ID"));
  test::CommandResult none = checker("unsilence", "99");
  EXPECT_EQ(none.exitCode, 1);
  EXPECT_THAT(none.output, HasSubstr("no active silence 99"));
  EXPECT_THAT(checker("silences", "").output, HasSubstr("w*"));
}

}  // namespace
}  // namespace checker
