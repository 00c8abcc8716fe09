// `checker check-config` as an operator runs it: the real binary, a real file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

CliRun runChecker(const std::string& args) {
  CliRun run;
  std::string command = std::string(CHECKER_BIN_DIR) + "/checker " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  int status = ::pclose(pipe);
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
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
  CliRun run = runChecker("check-config -c " + cfg);
  EXPECT_EQ(run.exitCode, 2);
  EXPECT_THAT(run.output, HasSubstr(cfg + ":7: [job web] timeout: expected a duration"));
  EXPECT_THAT(run.output, HasSubstr("1 error(s)"));
}

TEST(CheckConfigCli, PrintsOneLinePerJobAndExitsZero) {
  test::TempDir dir;
  std::string cfg = dir.write("settings.cfg", kGood);
  CliRun run = runChecker("check-config -c " + cfg);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("tcp:127.0.0.1:22  type=tcp  every=30s  notify=state_change  threshold=2\n"));
  EXPECT_THAT(run.output, HasSubstr("tcp:127.0.0.1:2222  type=tcp  every=30s  notify=state_change  threshold=2\n"));
  EXPECT_THAT(run.output, HasSubstr("system:email  type=email_selfcheck"));
  EXPECT_THAT(run.output, HasSubstr("is valid: 3 job(s)"));
}

TEST(CheckConfigCli, BundledConfigsAreValid) {
  for (const char* name : {"local.cfg"}) {
    CliRun run = runChecker(std::string("check-config -c ") + CHECKER_SOURCE_DIR + "/packaging/" + name);
    EXPECT_EQ(run.exitCode, 0) << name << ": " << run.output;
  }
}

TEST(CheckConfigCli, UsageErrorsExitTwo) {
  EXPECT_EQ(runChecker("").exitCode, 2);
  EXPECT_EQ(runChecker("no-such-command").exitCode, 2);
  EXPECT_EQ(runChecker("check-config -c").exitCode, 2);
  CliRun help = runChecker("--help");
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_THAT(help.output, HasSubstr("check-config"));
}

}  // namespace
}  // namespace checker
