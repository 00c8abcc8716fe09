// `[general] logfile`: checkerd and every helper child it starts (the worker
// launcher, checker-mailer, checker-peerd) append their lines to that file,
// one line per event naming its program and pid; nothing goes to stderr.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/daemon_process.h"
#include "support/log_file.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

TEST(CheckerdLogfile, CheckerdAndItsChildrenAppendToTheLogfile) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string log = dir.file("checker.log");
  dir.write("checker.log", "an older line\n", 0640);  // appended to, not replaced
  std::string cfg = dir.write("settings.cfg", "[general]\nservername = logfile-test\nalertcontact = admin@example.org\n"
                                              "statefile = " + dir.file("state") + "\nlogfile = " + log +
                                              "\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n"
                                              "[job broken]\ntype = exec\ncommand = /bin/false\nevery = 1s\n");
  test::LogFile file(log);
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", cfg});
  EXPECT_NE(file.waitForLine("checkerd[" + std::to_string(daemon.pid()) + "] info: ready: scheduling 1 job(s)", 20s), "");
  EXPECT_NE(file.waitForLine("checker-worker[", 20s), "");  // the launcher
  EXPECT_NE(file.waitForLine("checker-peerd[", 20s), "");
  EXPECT_THAT(file.waitForLine("warning: job broken: failed", 20s), HasSubstr("exit status 1"));
  EXPECT_THAT(file.waitForLine("checker-mailer[", 20s), HasSubstr("nomail"));
  EXPECT_NE(file.waitForLine("job broken: failure notice queued", 20s), "");
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(file.waitForLine("checkerd[" + std::to_string(daemon.pid()) + "] info: stopped", 0ms), "");
  std::vector<std::string> lines = file.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "an older line");
  EXPECT_THAT(daemon.lines(), ::testing::IsEmpty()) << "stderr should stay empty with a logfile";
  struct stat st{};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

}  // namespace
}  // namespace checker
