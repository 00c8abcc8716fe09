// A switch from the original Checker: `checker import-state` reads its state
// file (with a malformed line and a job this config does not have), the
// imported failing job shows in `checker status --json` with its first
// failure time, and a checkerd started afterwards does not send a failure
// notice for it while it keeps failing (while a job that was not imported
// gets its notice). An import while checkerd runs is refused.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>

#include "state/state_store.h"
#include "state/state_writer.h"
#include "support/daemon_process.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBin = CHECKER_BIN_DIR;

test::CommandResult checker(const std::string& args) { return test::runCommand(kBin + "/checker " + args); }

// A loopback port nothing listens on (bound, then released).
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Waits for the COUNT-th line containing NEEDLE; false when it did not come.
bool waitForLines(test::DaemonProcess& daemon, const std::string& needle, int count) {
  size_t from = 0;
  for (int i = 0; i < count; ++i) {
    std::string line = daemon.waitForLine(needle, 15s, from);
    if (line.empty()) return false;
    from = static_cast<size_t>(std::find(daemon.lines().begin() + static_cast<long>(from), daemon.lines().end(), line) -
                               daemon.lines().begin()) + 1;
  }
  return true;
}

TEST(ImportState, AJobFailingAndNotifiedUnderTheOriginalIsNotNotifiedAgain) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  int port = closedPort();
  std::string cfg = dir.write(
      "settings.cfg", "[general]\nservername = import-test\nalertcontact = admin@example.org\nstatefile = " +
                          dir.file("state") + "\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n"
                          "[job down]\ntype = exec\ncommand = /bin/false\nevery = 1s\nfailures_before_notify = 1\n"
                          "[job fresh]\ntype = exec\ncommand = /bin/false fresh\nevery = 1s\nfailures_before_notify = 1\n"
                          "[job ssh]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(port) + "\nevery = day\n");
  // The original: failing for two hours, mailed an hour ago, 7 failures.
  long now = static_cast<long>(::time(nullptr));
  long first = now - 7200, notified = now - 3600;
  std::string old = dir.write(
      "checker.state",
      "ZG93bnxleGVj|Failing|" + std::to_string(first) + ".25|" + std::to_string(notified) + ".5|down|7\n"
      "this line is not the original's\n"
      "\n"
      "aHR0cHw=|Failing|" + std::to_string(first) + "|0|<class 'HTTPServerChecker.ServerChecker'> for http://gone.example.org/|2\n"
      "dGNwfA==|Succeeding|0|0|<class 'TCPServerChecker.ServerChecker'> for ssh(127.0.0.1:" + std::to_string(port) + ")|0\n");

  test::CommandResult dry = checker("import-state --dry-run -c " + cfg + " " + old);
  EXPECT_EQ(dry.exitCode, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("line 1: would import as down: failing since "));
  EXPECT_THAT(checker("status --json -c " + cfg).output, Not(HasSubstr("imported"))) << "a dry run writes nothing";

  test::CommandResult imported = checker("import-state -c " + cfg + " " + old);
  EXPECT_EQ(imported.exitCode, 0) << imported.output;
  EXPECT_THAT(imported.output, HasSubstr("line 1: imported as down: failing since "));
  EXPECT_THAT(imported.output, HasSubstr(", 7 failure(s), notified "));
  EXPECT_THAT(imported.output, HasSubstr("line 2: malformed: expected 5 or 6 fields separated by '|'"));
  EXPECT_THAT(imported.output, HasSubstr("line 4: no configured job named "
                                         "'<class 'HTTPServerChecker.ServerChecker'> for http://gone.example.org/'"));
  EXPECT_THAT(imported.output, HasSubstr("line 5: imported as ssh (matched by the original's TCP naming): ok"));
  EXPECT_THAT(imported.output, Not(HasSubstr("line 3")));  // blank
  EXPECT_THAT(imported.output, HasSubstr("2 imported, 1 without a job, 1 malformed"));

  test::CommandResult status = checker("status --json -c " + cfg);
  EXPECT_EQ(status.exitCode, 3) << status.output;  // checkerd is not running yet
  EXPECT_THAT(status.output, HasSubstr("\"name\": \"down\", \"state\": \"failing\", \"consecutive_failures\": 7"));
  EXPECT_THAT(status.output, HasSubstr("\"first_failure_unix_ms\": " + std::to_string(first) + "250, "
                                       "\"last_notify_unix_ms\": " + std::to_string(notified) + "500, "
                                       "\"notified_failure\": true"));
  EXPECT_THAT(status.output, HasSubstr("\"name\": \"ssh\", \"state\": \"ok\""));
  EXPECT_THAT(status.output, HasSubstr("\"name\": \"fresh\", \"state\": \"never run\""));

  test::DaemonProcess daemon({kBin + "/checkerd", "-c", cfg});
  // The job that was not imported is notified on its first failure...
  ASSERT_NE(daemon.waitForLine("job fresh: failure notice queued", 15s), "") << ::testing::PrintToString(daemon.lines());
  // ...the imported one keeps failing, and each run is committed (with any
  // notice it caused) within 50 ms, well before the next run a second later.
  ASSERT_TRUE(waitForLines(daemon, "job down: failed", 3)) << ::testing::PrintToString(daemon.lines());
  test::CommandResult busy = checker("import-state -c " + cfg + " " + old);
  EXPECT_EQ(busy.exitCode, 111) << busy.output;
  EXPECT_THAT(busy.output, HasSubstr("is open for writing by another process (pid " + std::to_string(daemon.pid()) + ")"));
  EXPECT_THAT(busy.output, HasSubstr("nothing was imported"));
  ASSERT_TRUE(waitForLines(daemon, "job down: failed", 4));
  int stopped = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << stopped;
  for (const std::string& line : daemon.lines()) {
    EXPECT_THAT(line, Not(HasSubstr("job down: failure notice queued")));
  }
  test::CommandResult after = checker("status --json -c " + cfg);
  EXPECT_THAT(after.output, ::testing::ContainsRegex("\"name\": \"down\", \"state\": \"failing\", \"consecutive_failures\": "
                                                     "(1[1-9]|[2-9][0-9])"));
  EXPECT_THAT(after.output, HasSubstr("\"first_failure_unix_ms\": " + std::to_string(first) + "250, "));
}

TEST(ImportState, AnUnreadableFileExitsOneAndBadUsageTwo) {
  test::TempDir dir;
  std::string cfg = dir.write("settings.cfg", "[general]\nservername = t\nalertcontact = a@example.org\nstatefile = " +
                                                  dir.file("state") + "\n[email]\nnomail = yes\n");
  test::CommandResult missing = checker("import-state -c " + cfg + " " + dir.file("no-such-file"));
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_THAT(missing.output, HasSubstr("open(" + dir.file("no-such-file") + "): No such file or directory"));
  EXPECT_EQ(checker("import-state -c " + cfg).exitCode, 2);
  EXPECT_EQ(checker("import-state -c " + cfg + " a b").exitCode, 2);
  EXPECT_EQ(checker("import-state -c " + dir.file("nope.cfg") + " " + cfg).exitCode, 2);
  std::string empty = dir.write("empty.state", "");
  test::CommandResult nothing = checker("import-state -c " + cfg + " " + empty);
  EXPECT_EQ(nothing.exitCode, 0) << nothing.output;
  EXPECT_THAT(nothing.output, HasSubstr("0 imported"));
}

TEST(ImportState, AStateCheckerdWroteIsKeptUnlessForced) {
  test::TempDir dir;
  std::string cfg = dir.write("settings.cfg", "[general]\nservername = t\nalertcontact = a@example.org\nstatefile = " +
                                                  dir.file("state") + "\n[email]\nnomail = yes\n"
                                                  "[job web]\ntype = tcp\ntarget = 127.0.0.1:9\n");
  std::string old = dir.write("old.state", "a|Failing|1700000000|0|web|1\nb|Succeeding|0|0|web|0\n");
  // Two lines for one job: the original keeps stale lines; the later wins.
  test::CommandResult first = checker("import-state -c " + cfg + " " + old);
  EXPECT_EQ(first.exitCode, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("line 1: skipped: line 2 is for the same job, web, and wins"));
  EXPECT_THAT(first.output, HasSubstr("line 2: imported as web: ok"));
  // An imported state has no runs, so importing again replaces it.
  std::string failing = dir.write("failing.state", "a|Failing|1700000000|0|web|1\n");
  EXPECT_THAT(checker("import-state -c " + cfg + " " + failing).output, HasSubstr("line 1: imported as web: failing"));
  {  // checkerd ran the job since, as it would write it.
    StateStore store = StateStore::openForWriting(dir.file("state"));
    FinishedRun run;
    run.jobId = "tcp:127.0.0.1:9";
    run.jobName = "web";
    run.jobType = "tcp";
    run.record.policy.health = JobHealth::ok;
    run.record.runs = 3;
    WriteTransaction txn = store.beginWrite();
    txn.put(StateDb::jobs, run.jobId, encodeState(run));
    txn.commit();
  }
  test::CommandResult kept = checker("import-state -c " + cfg + " " + failing);
  EXPECT_EQ(kept.exitCode, 0);
  EXPECT_THAT(kept.output, HasSubstr("line 1: kept web's state: checkerd has run it 3 time(s) since (--force replaces it)"));
  EXPECT_THAT(checker("status --json -c " + cfg).output, HasSubstr("\"name\": \"web\", \"state\": \"ok\""));
  test::CommandResult forced = checker("import-state --force -c " + cfg + " " + failing);
  EXPECT_THAT(forced.output, HasSubstr("line 1: imported as web: failing"));
  EXPECT_THAT(checker("status --json -c " + cfg).output, HasSubstr("\"name\": \"web\", \"state\": \"failing\""));
}

}  // namespace
}  // namespace checker
