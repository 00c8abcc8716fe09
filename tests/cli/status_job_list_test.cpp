// `checker status` lists the jobs checkerd runs as checkerd wrote them into
// the state (meta "job_list"): plugin sections as their worker described
// them, without status running any plugin code itself; before checkerd ever
// ran, a plugin section is one row "not described"; after a reload, the
// jobs it added. Real checkerd, real workers, the real checker command.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "state/state_store.h"
#include "state/state_writer.h"
#include "support/daemon_process.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBin = CHECKER_BIN_DIR;
constexpr int kExitDaemonDown = 3;

test::CommandResult checker(const std::string& args) { return test::runCommand(kBin + "/checker " + args); }

std::string configWith(const test::TempDir& dir, const std::string& jobs) {
  return "[general]\nservername = joblist-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
         "\nplugindir = " + kBin + "/../test-plugins\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n" + jobs;
}

// Where a describing plugin leaves its mark, writable by the job user: as
// root each worker has a /tmp of its own, so the place is under /var/lib
// (as checkerd_isolation_test's); without root, in the test's directory.
class MarkerPlace {
 public:
  explicit MarkerPlace(const test::TempDir& dir) {
    path_ = ::geteuid() == 0 ? "/var/lib/checker-status-marks-XXXXXX" : dir.file("marks-XXXXXX");
    if (::mkdtemp(path_.data()) == nullptr) path_.clear();
    ::chmod(path_.c_str(), 0777);
  }
  ~MarkerPlace() {
    if (!path_.empty()) test::runCommand("/bin/rm -rf '" + path_ + "'");
  }
  const std::string& path() const { return path_; }
  std::string marker() const { return path_ + "/described"; }
  // How many times a worker described the plugin.
  size_t descriptions() const {
    std::ifstream in(marker());
    size_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  }

 private:
  std::string path_;
};

std::string pluginJobs(const MarkerPlace& marks) {
  return "[job many]\ntype = SpawningCheck\nitems = a,b\nevery = 1h\n"
         "[job self]\ntype = DescribingCheck\ndescribe_marker = " + marks.marker() + "\nwritable_paths = " +
         marks.path() + "\n";
}

// Polls `checker status -c CONFIG` (the state is a file: there is no event
// to wait on) until its output has WANTED; the last output either way.
std::string statusOnceItShows(const std::string& config, const std::string& wanted) {
  test::CommandResult status;
  for (auto deadline = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < deadline;) {
    status = checker("status -c " + config);
    if (status.output.find(wanted) != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  return status.output;
}

TEST(StatusJobList, PluginJobsComeFromTheStateAndStatusRunsNoWorker) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  MarkerPlace marks(dir);
  ASSERT_FALSE(marks.path().empty());
  std::string config = dir.write("settings.cfg", configWith(dir, pluginJobs(marks)), 0644);
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  ASSERT_NE(daemon.waitForLine("ready: scheduling", 20s), "") << ::testing::PrintToString(daemon.lines());
  std::string shown = statusOnceItShows(config, "many[b]");
  // checkerd described the plugin once, at start: the mark shows a worker
  // can leave it.
  ASSERT_EQ(marks.descriptions(), 1u) << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(shown, ContainsRegex("\nmany\\[a\\] +never run"));
  EXPECT_THAT(shown, ContainsRegex("\nmany\\[b\\] +never run"));
  EXPECT_THAT(shown, ContainsRegex("\nself +(never run|ok)"));
  EXPECT_THAT(shown, Not(HasSubstr("not described")));
  test::CommandResult json = checker("status --json -c " + config);
  EXPECT_EQ(json.exitCode, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("{\"id\": \"plugin:SpawningCheck:a\", \"name\": \"many[a]\""));
  EXPECT_THAT(json.output, HasSubstr("{\"id\": \"plugin:DescribingCheck:self\", \"name\": \"self\""));
  // Neither status described the plugin again.
  EXPECT_EQ(marks.descriptions(), 1u) << "checker status ran a worker to describe the plugin";

  int stopped = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << stopped;
  // Stopped, checkerd's list is still the one shown, as it was left.
  test::CommandResult after = checker("status -c " + config);
  EXPECT_EQ(after.exitCode, kExitDaemonDown) << after.output;
  EXPECT_THAT(after.output, ContainsRegex("\nmany\\[a\\] +"));
  EXPECT_EQ(marks.descriptions(), 1u);
}

TEST(StatusJobList, BeforeCheckerdRanAPluginSectionIsOneRowNotDescribed) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  MarkerPlace marks(dir);
  ASSERT_FALSE(marks.path().empty());
  std::string config = dir.write(
      "settings.cfg", configWith(dir, pluginJobs(marks) + "[job web]\ntype = exec\ncommand = /bin/true\n"), 0644);
  auto expectConfigRows = [&](const std::string& when) {
    test::CommandResult status = checker("status -c " + config);
    EXPECT_EQ(status.exitCode, kExitDaemonDown) << when << "\n" << status.output;
    EXPECT_THAT(status.output, ContainsRegex("\nmany +not described +- +- +- +plugin section, not yet described by "
                                             "checkerd\n")) << when;
    EXPECT_THAT(status.output, ContainsRegex("\nself +not described ")) << when;
    EXPECT_THAT(status.output, ContainsRegex("\nweb +never run ")) << when;
    EXPECT_THAT(status.output, Not(HasSubstr("many[a]"))) << when;
    EXPECT_THAT(status.output, HasSubstr("no job failing: 0 ok, 1 not run yet, 1 off, "
                                         "2 plugin section(s) not described yet\n")) << when;
    test::CommandResult json = checker("status --json -c " + config);
    EXPECT_THAT(json.output, HasSubstr("{\"id\": \"plugin:SpawningCheck:many\", \"name\": \"many\", "
                                       "\"state\": \"not described\"")) << when;
    EXPECT_EQ(marks.descriptions(), 0u) << when << ": checker status ran a worker to describe the plugin";
  };
  expectConfigRows("no state yet");
  // A state checkerd wrote before it kept its job list (only a heartbeat):
  // the config's rows still.
  {
    StateStore store = StateStore::openForWriting(dir.file("state"));
    StateWriter writer(store);
    writer.beat();
    writer.flush(1000);
  }
  expectConfigRows("a state without a job list");
}

TEST(StatusJobList, ShowsWhatCheckerdRunsAndAReloadsNewJobs) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string keep = "[job keep]\ntype = exec\ncommand = /bin/true\nevery = 1h\n";
  std::string config = dir.write("settings.cfg", configWith(dir, keep), 0644);
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  ASSERT_NE(daemon.waitForLine("ready: scheduling", 20s), "") << ::testing::PrintToString(daemon.lines());
  // checkerd writes its list with its first heartbeat, in one transaction.
  ASSERT_THAT(statusOnceItShows(config, "checkerd: running"), HasSubstr("\nkeep "));
  // Edited, not reloaded: status shows what checkerd runs, not the file.
  dir.write("settings.cfg",
            configWith(dir, keep + "[job added]\ntype = exec\ncommand = /bin/echo added\nevery = 1h\n"
                            "[job many]\ntype = SpawningCheck\nitems = x,y\nevery = 1h\n"),
            0644);
  test::CommandResult edited = checker("status -c " + config);
  EXPECT_THAT(edited.output, HasSubstr("\nkeep "));
  EXPECT_THAT(edited.output, Not(HasSubstr("\nadded "))) << "a job checkerd does not run";
  EXPECT_THAT(edited.output, Not(HasSubstr("\nmany"))) << "a job checkerd does not run";

  test::CommandResult reload = checker("reload -c " + config);
  ASSERT_EQ(reload.exitCode, 0) << reload.output;
  std::string reloaded = statusOnceItShows(config, "many[y]");
  EXPECT_THAT(reloaded, ContainsRegex("\nkeep +"));
  EXPECT_THAT(reloaded, ContainsRegex("\nadded +never run"));
  EXPECT_THAT(reloaded, ContainsRegex("\nmany\\[x\\] +never run"));
  EXPECT_THAT(reloaded, ContainsRegex("\nmany\\[y\\] +never run"));

  int stopped = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << stopped;
}

}  // namespace
}  // namespace checker
