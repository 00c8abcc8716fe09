// The operator's view of the core: checker run-job and checker status
// against real workers and a running checkerd, and checkerd's graceful stop.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "support/daemon_process.h"
#include "support/proc_scan.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

// A TCP listener on a free loopback port, closed at the end of the test.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on (bound, then released).
int closedPort() {
  Listener gone;
  return gone.port();
}

test::CommandResult run(const std::string& args) { return test::runCommand(kBin + "/" + args); }

std::string config(const test::TempDir& dir, const std::string& jobs) {
  ::chmod(dir.path().c_str(), 0755);
  return dir.write("settings.cfg", "[general]\nservername = cli-test\nalertcontact = admin@example.org\nstatefile = " +
                                       dir.file("state") + "\nplugindir = " + kBin + "/../plugins\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n" +
                                       jobs);
}

TEST(CheckerRunJob, RunsOnceThroughTheWorkerAndChangesNoState) {
  test::TempDir dir;
  Listener up;
  int down = closedPort();
  std::string cfg = config(dir, "[job up]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(up.port()) +
                                    "\n[job down]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(down) + "\n");
  test::CommandResult ok = run("checker run-job -c " + cfg + " up --json");
  EXPECT_EQ(ok.exitCode, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("\"id\": \"tcp:127.0.0.1:" + std::to_string(up.port()) + "\""));
  EXPECT_THAT(ok.output, HasSubstr("\"name\": \"up\", \"outcome\": \"ok\""));
  EXPECT_THAT(ok.output, HasSubstr("\"duration_ms\": "));
  test::CommandResult failed = run("checker run-job -c " + cfg + " down");
  EXPECT_EQ(failed.exitCode, 1) << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("down (tcp:127.0.0.1:" + std::to_string(down) + "): failed in"));
  EXPECT_THAT(failed.output, HasSubstr("Connection refused"));
  EXPECT_EQ(run("checker run-job -c " + cfg + " nosuchjob").exitCode, 2);
  struct stat st{};
  EXPECT_NE(::stat(dir.file("state").c_str(), &st), 0) << "run-job must not create or change state";
}

// The README's run command as a newcomer types it: a relative -c with "..",
// a relative statefile, from the top of a tree. Every path must mean the
// same in the workers, which run in another directory.
TEST(CheckerdRelativeConfig, JobsRunWhenTheConfigAndItsPathsAreRelative) {
  test::TempDir dir;
  Listener up;
  ::chmod(dir.path().c_str(), 0755);
  ASSERT_EQ(::mkdir(dir.file("packaging").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.file("build").c_str(), 0755), 0);
  dir.write("packaging/local.cfg",
            "[general]\nservername = relative\nalertcontact = admin@example.org\nstatefile = ../build/state\n"
            "[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n"
            "[job port]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(up.port()) + "\nevery = 1s\n"
            "[job true]\ntype = exec\ncommand = /bin/true\nevery = 1s\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", "packaging/../packaging/local.cfg"}, dir.path());
  ASSERT_NE(daemon.waitForLine("job port: ok", 10s), "") << ::testing::PrintToString(daemon.lines());
  ASSERT_NE(daemon.waitForLine("job true: ok", 10s), "") << ::testing::PrintToString(daemon.lines());
  struct stat st{};
  EXPECT_EQ(::stat(dir.file("build/state").c_str(), &st), 0) << "statefile is relative to the config's directory";
  test::CommandResult status = test::runCommand("cd " + dir.path() + " && " + kBin + "/checker status -c packaging/local.cfg");
  EXPECT_EQ(status.exitCode, 0) << status.output;
  int exitStatus = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(exitStatus) && WEXITSTATUS(exitStatus) == 0) << exitStatus;
}

TEST(CheckerStatus, ReadsTheStateWhileCheckerdRuns) {
  test::TempDir dir;
  Listener up;
  int down = closedPort();
  std::string cfg = config(dir, "[job up]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(up.port()) +
                                    "\nevery = 1s\n[job down]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(down) +
                                    "\nevery = 1s\n[job later]\ntype = tcp\ntarget = 127.0.0.1:1\nevery = day\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", cfg});
  // Runs are committed within 50 ms of their end and come a second apart:
  // once the third failure is logged, the first two are in the state.
  ASSERT_NE(daemon.waitForLine("job up: ok", 10s), "") << ::testing::PrintToString(daemon.lines());
  size_t from = 0;
  for (int failure = 0; failure < 3; ++failure) {
    std::string line = daemon.waitForLine("job down: failed", 10s, from);
    ASSERT_NE(line, "") << ::testing::PrintToString(daemon.lines());
    from = static_cast<size_t>(std::find(daemon.lines().begin(), daemon.lines().end(), line) - daemon.lines().begin()) + 1;
  }
  test::CommandResult json = run("checker status -c " + cfg + " --json");
  EXPECT_EQ(json.exitCode, 1) << json.output;  // "down" is failing
  EXPECT_THAT(json.output, HasSubstr("\"name\": \"up\", \"state\": \"ok\", \"consecutive_failures\": 0"));
  EXPECT_THAT(json.output, ::testing::ContainsRegex("\"name\": \"down\", \"state\": \"failing\", \"consecutive_failures\": [2-9]"));
  EXPECT_THAT(json.output, HasSubstr("\"name\": \"later\", \"state\": \"never run\""));
  EXPECT_THAT(json.output, HasSubstr("Connection refused"));
  test::CommandResult table = run("checker status -c " + cfg);
  EXPECT_THAT(table.output, HasSubstr("scheduler heartbeat: "));
  EXPECT_THAT(table.output, ::testing::ContainsRegex("down +failing +[2-9]"));
  // checkerd kept going while it was read.
  ASSERT_NE(daemon.waitForLine("job down: failed", 10s, daemon.lines().size()), "");
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(PluginDescribe, AWorkerExpandsPluginSectionsAtConfigLoad) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string cfg = dir.write("settings.cfg",
                              "[general]\nservername = t\nalertcontact = a@example.org\nstatefile = " +
                                  dir.file("state") + "\nplugindir = " + kBin + "/../test-plugins\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n"
                                  "[job many]\ntype = SpawningCheck\nitems = a,b,bad\nevery = 30s\n"
                                  "[job self]\ntype = DescribingCheck\n");
  test::CommandResult plan = run("checker check-config -c " + cfg);
  EXPECT_EQ(plan.exitCode, 0) << plan.output;
  // One job per item of the spawner, each with its own identity...
  EXPECT_THAT(plan.output, HasSubstr("plugin:SpawningCheck:a  type=SpawningCheck  every=30s"));
  EXPECT_THAT(plan.output, HasSubstr("plugin:SpawningCheck:b  type=SpawningCheck"));
  EXPECT_THAT(plan.output, HasSubstr("plugin:SpawningCheck:bad  type=SpawningCheck"));
  // ...and a job's own executeEvery() & co. over the section's defaults.
  EXPECT_THAT(plan.output, HasSubstr("plugin:DescribingCheck:self  type=DescribingCheck  every=5m  notify=hour  threshold=3"));
  test::CommandResult runs = run("checker run-job -c " + cfg + " many");
  EXPECT_EQ(runs.exitCode, 1) << runs.output;  // "bad" fails
  EXPECT_THAT(runs.output, HasSubstr("many[a] (plugin:SpawningCheck:a): ok"));
  EXPECT_THAT(runs.output, HasSubstr("many[bad] (plugin:SpawningCheck:bad): failed in"));
  EXPECT_THAT(runs.output, HasSubstr("item bad is bad"));
}

TEST(CheckerdStop, RunningJobsGetTheGraceThenTheirGroupIsKilled) {
  test::TempDir dir;
  std::string marker = "stop-marker-" + std::to_string(::getpid());
  std::string cfg = config(dir, "[job slow]\ntype = exec\ncommand = " + kBin + "/checker-test-hostile sleep " + marker +
                                    "\nevery = 1s\ntimeout = 60s\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", cfg, "--stop-grace", "1s"});
  ASSERT_NE(daemon.waitForLine("scheduling", 10s), "");
  // The run has started once its command exists (it sleeps until killed).
  bool started = false;
  for (int i = 0; i < 200 && !started; ++i) {
    started = !test::processesWith(marker).empty();
    if (!started) daemon.waitForLine("\x01never", 25ms);
  }
  ASSERT_TRUE(started);
  auto before = std::chrono::steady_clock::now();
  int status = daemon.stop(SIGTERM, 20s);
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_GE(took, 900ms);  // it waited for the grace period
  EXPECT_LT(took, 10s);
  EXPECT_NE(daemon.waitForLine("stopping (SIGTERM): 1 run(s) in progress get 1000 ms", 0ms), "");
  EXPECT_NE(daemon.waitForLine("stop grace period over: killing 1 run(s)", 0ms), "");
  EXPECT_NE(daemon.waitForLine("job slow: run interrupted by shutdown, not recorded", 0ms), "");
  EXPECT_THAT(test::processesWith(marker), ::testing::IsEmpty()) << "the job's process survived";
  test::CommandResult table = run("checker status -c " + cfg);
  EXPECT_THAT(table.output, ::testing::ContainsRegex("slow +never run"));
}

}  // namespace
}  // namespace checker
