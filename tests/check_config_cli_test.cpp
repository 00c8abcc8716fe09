// `checker check-config` as an operator runs it: the real binary, a real file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

test::CommandResult runChecker(const std::string& args) {
  return test::runCommand(std::string(CHECKER_BIN_DIR) + "/checker " + args);
}

const char* kGood = R"([general]
servername = test
alertcontact = admin@example.org
[email]
nomail = yes
[job ssh]
type = tcp
targets = 127.0.0.1:22, 127.0.0.1:2222
every = 30s
failures_before_notify = 2
)";

TEST(CheckConfigCli, ErrorAtLineSevenNamesFileAndLineAndExitsTwo) {
  test::TempDir dir;
  std::string cfg = dir.write("settings.cfg", R"([general]
servername = test
alertcontact = admin@example.org
[email]
nomail = yes
[job web]
timeout = eventually
type = http
url = http://127.0.0.1/
)");
  test::CommandResult run = runChecker("check-config -c " + cfg);
  EXPECT_EQ(run.exitCode, 2);
  EXPECT_THAT(run.output, HasSubstr(cfg + ":7: [job web] timeout: expected a duration"));
  EXPECT_THAT(run.output, HasSubstr("1 error(s)"));
}

TEST(CheckConfigCli, PrintsOneLinePerJobAndExitsZero) {
  test::TempDir dir;
  std::string cfg = dir.write("settings.cfg", kGood);
  test::CommandResult run = runChecker("check-config -c " + cfg);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("tcp:127.0.0.1:22  type=tcp  every=30s  notify=state_change  threshold=2\n"));
  EXPECT_THAT(run.output, HasSubstr("tcp:127.0.0.1:2222  type=tcp  every=30s  notify=state_change  threshold=2\n"));
  EXPECT_THAT(run.output, HasSubstr("system:email  type=email_selfcheck"));
  EXPECT_THAT(run.output, HasSubstr("is valid: 3 job(s)"));
}

TEST(CheckConfigCli, BundledConfigsAreValid) {
  for (const char* name : {"local.cfg"}) {
    test::CommandResult run = runChecker(std::string("check-config -c ") + CHECKER_SOURCE_DIR + "/packaging/" + name);
    EXPECT_EQ(run.exitCode, 0) << name << ": " << run.output;
  }
}

// Neither a device that never ends nor a FIFO that never opens may hang or
// exhaust check-config: both are refused at once, naming the file.
TEST(CheckConfigCli, RefusesDevicesFifosAndBinaryTextWithExitTwo) {
  test::CommandResult zero = runChecker("check-config -c /dev/zero");
  EXPECT_EQ(zero.exitCode, 2) << zero.output;
  EXPECT_THAT(zero.output, HasSubstr("/dev/zero: not a regular file"));
  test::TempDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  test::CommandResult pipe = runChecker("check-config -c " + fifo);  // hung forever before
  EXPECT_EQ(pipe.exitCode, 2) << pipe.output;
  EXPECT_THAT(pipe.output, HasSubstr(fifo + ": not a regular file"));
  std::string binary = dir.write("binary.cfg", std::string(kGood) + "[job \xff\xfe]\ntype = tcp\ntarget = 127.0.0.1:1\n");
  test::CommandResult bad = runChecker("check-config -c " + binary);
  EXPECT_EQ(bad.exitCode, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr(binary + ":11: not valid UTF-8 (byte 0xff at column 6)"));
}

TEST(CheckConfigCli, UsageErrorsExitTwo) {
  EXPECT_EQ(runChecker("").exitCode, 2);
  EXPECT_EQ(runChecker("no-such-command").exitCode, 2);
  EXPECT_EQ(runChecker("check-config -c").exitCode, 2);
  test::CommandResult help = runChecker("--help");
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_THAT(help.output, HasSubstr("check-config"));
}

}  // namespace
}  // namespace checker
