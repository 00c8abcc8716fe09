// `checker test-email` starts checker-mailer exactly as checkerd does
// (process/helper_child.h): an empty environment, so what the caller's
// shell exports (a proxy, a locale, a secret) never reaches the mailer, and
// the same command line. Seen through a stand-in mailer beside a copy of
// the real `checker` (which looks for its helpers beside itself) that
// writes down what it was given and exits without answering.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CheckerTestEmail, StartsTheMailerWithACleanEnvironmentAsCheckerdDoes) {
  test::TempDir dir;
  std::filesystem::copy_file(std::string(CHECKER_BIN_DIR) + "/checker", dir.file("checker"));
  // Only shell builtins: with an empty environment there is no PATH.
  dir.write("checker-mailer",
            "#!/bin/sh\nexport -p > " + dir.file("mailer-env") + "\necho \"$0 $*\" > " + dir.file("mailer-args") +
                "\n",
            0755);
  std::string config = dir.write("settings.cfg", "[general]\nservername = env-test\nalertcontact = admin@example.org\n"
                                                 "statefile = " + dir.file("state") + "\n[email]\nnomail = yes\n"
                                                 "[job up]\ntype = tcp\ntarget = 127.0.0.1:1\n");

  test::CommandResult sent =
      test::runCommand("CHECKER_CALLERS_SECRET=leaked " + dir.file("checker") + " test-email -c " + config);

  // No answer (it ended at once: end-of-file or a reset, as it goes): 1.
  EXPECT_EQ(sent.exitCode, 1) << sent.output;
  std::string environment = readFile(dir.file("mailer-env"));
  std::string args = readFile(dir.file("mailer-args"));
  ASSERT_NE(args, "") << "the stand-in mailer did not run: " << sent.output;
  EXPECT_THAT(environment, Not(HasSubstr("CHECKER_CALLERS_SECRET"))) << environment;
  EXPECT_THAT(environment, Not(HasSubstr("PATH="))) << environment;
  EXPECT_THAT(args, HasSubstr(" -c " + config + " --parent-pid=")) << args;
}

}  // namespace
}  // namespace checker
