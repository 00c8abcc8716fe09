// Reloading a running checkerd's config (`checker reload` over the control
// socket, and SIGHUP) with real workers: a valid config keeps the jobs that
// remain (their state, their schedule, a run in progress), starts the new
// one and stops the removed one; a broken config changes nothing and says
// why. Read back from the state: the kept job ran on its schedule across
// the reloads, no run lost and none doubled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "ipc/state.capnp.h"
#include "support/daemon_process.h"
#include "support/run_command.h"
#include "support/run_history.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

std::string configWith(const test::TempDir& dir, const std::string& jobs, const std::string& general = "") {
  return "[general]\nservername = reload-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
         "\n" + general + "[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n" + jobs;
}

const std::string kKeep = "[job keep]\ntype = exec\ncommand = /bin/true\nevery = 1s\n";
const std::string kSlow = "[job slow]\ntype = exec\ncommand = /bin/sleep 3\nevery = 1s\ntimeout = 10s\n";
const std::string kRemoved = "[job removed]\ntype = exec\ncommand = /bin/echo removed\nevery = 1s\n";
const std::string kAdded = "[job added]\ntype = exec\ncommand = /bin/echo added\nevery = 1s\n";

// Start times of JOB_ID's runs in the state, oldest first.
std::vector<int64_t> runStarts(const std::string& stateDir, const std::string& jobId) {
  std::vector<int64_t> starts;
  for (const test::RecordedRun& run : test::recordedRuns(stateDir, jobId)) starts.push_back(run.startedUnixMs);
  return starts;
}

TEST(Reload, ValidConfigKeepsStateAndRunsBrokenConfigChangesNothing) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string config = dir.write("settings.cfg", configWith(dir, kKeep + kSlow + kRemoved));
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  ASSERT_NE(daemon.waitForLine("job keep: ok", 20s), "") << ::testing::PrintToString(daemon.lines());
  ASSERT_NE(daemon.waitForLine("job removed: ok", 20s), "");
  // slow is mid-run once it is due again while still running.
  ASSERT_NE(daemon.waitForLine("job slow: due again while its previous run is still going", 20s), "");

  dir.write("settings.cfg", configWith(dir, kKeep + kSlow + kAdded));
  test::CommandResult reloaded = test::runCommand(kBin + "/checker reload -c " + config);
  EXPECT_EQ(reloaded.exitCode, 0) << reloaded.output;
  EXPECT_THAT(reloaded.output, HasSubstr("1 added, 1 removed"));
  size_t at = daemon.lines().size();
  ASSERT_NE(daemon.waitForLine("reload (checker reload): ", 5s, 0), "");
  // The run in progress was not killed: it finishes and is recorded.
  std::string slowDone = daemon.waitForLine("job slow: ok after", 10s, at);
  EXPECT_THAT(slowDone, HasSubstr("job slow: ok after 3")) << ::testing::PrintToString(daemon.lines());
  EXPECT_NE(daemon.waitForLine("job added: ok", 10s, at), "");

  // A broken config: refused with the reason, over the socket and on SIGHUP.
  dir.write("settings.cfg", configWith(dir, kKeep + kSlow + kAdded + "[job broken]\ntype = exec\nevery = fortnight\n"));
  test::CommandResult refused = test::runCommand(kBin + "/checker reload -c " + config);
  EXPECT_EQ(refused.exitCode, 2) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("not reloaded: the running config stays"));
  EXPECT_THAT(refused.output, HasSubstr("settings.cfg:"));
  size_t beforeHup = daemon.lines().size();
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  EXPECT_NE(daemon.waitForLine("reload (SIGHUP) refused, the running config stays", 5s, beforeHup), "");
  size_t afterRefusal = daemon.lines().size();
  dir.write("settings.cfg", configWith(dir, kKeep + kSlow + kAdded));
  // With the file fixed but not yet reloaded, `checker status` shows that
  // the last reload was refused (the state is written within 50 ms).
  std::string shownRefusal;
  for (int attempt = 0; attempt < 100 && shownRefusal.find("REFUSED") == std::string::npos; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(50ms);  // polling the state: no event to wait on
    shownRefusal = test::runCommand(kBin + "/checker status -c " + config).output;
  }
  EXPECT_THAT(shownRefusal, HasSubstr("config: the reload at ")) << shownRefusal;
  EXPECT_THAT(shownRefusal, HasSubstr("fortnight"));
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  EXPECT_THAT(daemon.waitForLine("job(s): ", 5s, afterRefusal), HasSubstr("reload (SIGHUP): 4 job(s): 0 added, 0 removed"));
  // Two more seconds of runs after the reloads (slow, still busy, says so
  // each second), then stop.
  for (int i = 0; i < 2; ++i) {
    ASSERT_NE(daemon.waitForLine("job slow: due again", 10s, daemon.lines().size()), "");
  }
  int status = daemon.stop(SIGTERM, 20s);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (size_t i = at; i < daemon.lines().size(); ++i) {
    const std::string& line = daemon.lines()[i];
    if (line.find("job removed: ") == std::string::npos) continue;
    EXPECT_THAT(line, ::testing::AnyOf(HasSubstr("removed by the reload"), HasSubstr("not recorded")));
  }

  // keep ran once a second throughout: no run lost, none doubled.
  std::vector<int64_t> starts = runStarts(dir.file("state"), "exec:/bin/true");
  ASSERT_GE(starts.size(), 6u);
  for (size_t i = 1; i < starts.size(); ++i) {
    int64_t gap = starts[i] - starts[i - 1];
    EXPECT_GE(gap, 700) << "run " << i << " doubled";
    EXPECT_LE(gap, 1300) << "a run lost before run " << i;
  }
  // The reloads did not restart its state: every run is counted.
  test::CommandResult shown = test::runCommand(kBin + "/checker status --json -c " + config);
  EXPECT_THAT(shown.output, HasSubstr("\"runs\": " + std::to_string(starts.size()))) << shown.output;
}

// Unix ms of a log line's timestamp ("2026-11-25T06:41:44.445Z ...").
int64_t logLineUnixMs(const std::string& line) {
  std::tm tm{};
  int ms = 0;
  if (::sscanf(line.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

// A plugin that takes seconds to describe itself (it looks something up)
// must not stall the loop: the config is read off the loop, jobs keep
// running meanwhile, and a SIGHUP during the read is done after it.
TEST(Reload, SlowPluginDescribeDoesNotStallTheLoop) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  auto withPlugin = [&](const std::string& delay) {
    return configWith(dir, kKeep + "[job described]\ntype = DescribingCheck\ntimeout = 30s\n" + delay,
                      "plugindir = " + kBin + "/../test-plugins\n");
  };
  std::string config = dir.write("settings.cfg", withPlugin(""));
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  ASSERT_NE(daemon.waitForLine("job keep: ok", 20s), "") << ::testing::PrintToString(daemon.lines());

  dir.write("settings.cfg", withPlugin("describe_delay_ms = 4000\n"));
  test::CommandResult reloaded;
  std::jthread client([&] { reloaded = test::runCommand(kBin + "/checker reload -c " + config); });
  std::string reading = daemon.waitForLine("reload (checker reload): reading", 10s);
  ASSERT_NE(reading, "") << ::testing::PrintToString(daemon.lines());
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);  // while the first read is going
  std::string applied = daemon.waitForLine("0 added, 0 removed", 20s);
  ASSERT_THAT(applied, HasSubstr("reload (checker reload): ")) << ::testing::PrintToString(daemon.lines());
  client.join();
  EXPECT_EQ(reloaded.exitCode, 0) << reloaded.output;
  EXPECT_THAT(reloaded.output, HasSubstr("0 added, 0 removed"));
  // The SIGHUP that came during the read is done after it.
  EXPECT_NE(daemon.waitForLine("reload (SIGHUP): reading", 10s), "") << ::testing::PrintToString(daemon.lines());
  EXPECT_NE(daemon.waitForLine("reload (SIGHUP): 3 job(s): 0 added, 0 removed", 20s), "");
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  // keep ran on its schedule (once a second) while the plugin described
  // for four: the loop was not stalled.
  int64_t from = logLineUnixMs(reading), to = logLineUnixMs(applied);
  ASSERT_GE(to - from, 3500) << "the describe did not take its four seconds";
  std::vector<int64_t> starts = runStarts(dir.file("state"), "exec:/bin/true");
  size_t during = static_cast<size_t>(
      std::count_if(starts.begin(), starts.end(), [&](int64_t t) { return t > from && t < to; }));
  EXPECT_GE(during, 3u) << "keep did not run while the plugin described: the loop stalled";
  // And the describe's sandbox left keep's alone (it once took the
  // supervisor's cgroup slots and killed its runs).
  for (const std::string& line : daemon.lines()) {
    if (line.find("job keep: ") != std::string::npos) {
      EXPECT_THAT(line, HasSubstr("job keep: ok after"));
    }
  }
}

// Outcomes of JOB_ID's runs that started at or after SINCE_MS.
std::vector<ipc::Outcome> outcomesSince(const std::string& stateDir, const std::string& jobId, int64_t sinceMs) {
  std::vector<ipc::Outcome> outcomes;
  for (const test::RecordedRun& run : test::recordedRuns(stateDir, jobId)) {
    if (run.startedUnixMs >= sinceMs) outcomes.push_back(run.outcome);
  }
  return outcomes;
}

// A reload describes the plugin sections through workers in checkerd's own
// process, sandboxed like runs. Those describe runs must not take checkerd's
// run cgroups: on cgroup v1 a second detect under the same name took
// checker-runs-PID for one left by an earlier process with checkerd's pid,
// killed the runs in progress and removed every slot, and then the base, so
// every later run failed ("sandbox: cgroup: open(...): No such file or
// directory") until checkerd was restarted. Found by checker-bench-soak.
// (Without per-run cgroups, as non-root, this passes trivially.)
TEST(Reload, WithAPluginSectionLeavesRunsAndTheirCgroupsAlone) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string plugin = "[job plugin]\ntype = HostileCheck\nmode = ok\nevery = 1s\n";
  std::string config = dir.write("settings.cfg", configWith(dir, kKeep + kSlow + plugin, "plugindir = " + kBin + "/../plugins\n"));
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  ASSERT_NE(daemon.waitForLine("job keep: ok", 20s), "") << ::testing::PrintToString(daemon.lines());
  ASSERT_NE(daemon.waitForLine("job plugin: ok", 20s), "") << ::testing::PrintToString(daemon.lines());
  ASSERT_NE(daemon.waitForLine("job slow: due again while its previous run is still going", 20s), "");

  size_t at = daemon.lines().size();
  int64_t reloadedMs = wallClockNowMs();
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  ASSERT_THAT(daemon.waitForLine("0 added, 0 removed", 10s, at), HasSubstr("reload (SIGHUP): "))
      << ::testing::PrintToString(daemon.lines());
  // The run in progress was not killed by the describe's sandbox.
  std::string slowDone = daemon.waitForLine("job slow: ok after", 10s, at);
  EXPECT_THAT(slowDone, HasSubstr("job slow: ok after 3")) << ::testing::PrintToString(daemon.lines());
  // Three more seconds of runs, then stop: every one after the reload ok.
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(daemon.waitForLine("job slow: due again", 10s, daemon.lines().size()), "");
  }
  int status = daemon.stop(SIGTERM, 20s);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (size_t i = at; i < daemon.lines().size(); ++i) {
    EXPECT_THAT(daemon.lines()[i], ::testing::Not(HasSubstr("cgroup"))) << "line " << i;
  }
  for (const std::string& id : {std::string("exec:/bin/true"), std::string("plugin:HostileCheck:plugin")}) {
    std::vector<ipc::Outcome> after = outcomesSince(dir.file("state"), id, reloadedMs);
    EXPECT_GE(after.size(), 3u) << id;
    EXPECT_THAT(after, ::testing::Each(ipc::Outcome::OK)) << id;
  }
}

TEST(Reload, WithoutACheckerdSaysSo) {
  test::TempDir dir;
  std::string config = dir.write("settings.cfg", configWith(dir, kKeep));
  test::CommandResult result = test::runCommand(kBin + "/checker reload -c " + config);
  EXPECT_EQ(result.exitCode, 111) << result.output;
  EXPECT_THAT(result.output, HasSubstr("no checkerd answers on " + dir.file("state") + "/control.sock"));
}

}  // namespace
}  // namespace checker
