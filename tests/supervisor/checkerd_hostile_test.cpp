// checkerd with real workers and jobs that misbehave on purpose: each run is
// classified right, the healthy job beside them stays on time, and nothing
// of any run is left behind (no process, no fd in the supervisor).
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "state/state_keys.h"
#include "state/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "support/daemon_process.h"
#include "support/proc_scan.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;
const std::string kHostile = kBin + "/checker-test-hostile";

int fdsIn(const std::string& line) {
  size_t at = line.find("open fds: ");
  return at == std::string::npos ? -1 : std::stoi(line.substr(at + 10));
}

struct Expectation {
  std::string job;       // section name
  std::string config;    // the section's keys
  std::string logged;    // "job NAME: OUTCOME" prefix expected in the log
  std::string detail;    // and this in the same line
};

std::vector<Expectation> expectations(const std::string& marker) {
  auto exec = [&](const std::string& mode, const std::string& extra = "") {
    return "type = exec\ncommand = " + kHostile + " " + mode + " " + marker + "\nevery = 3s\n" + extra;
  };
  auto plugin = [](const std::string& type, const std::string& mode) {
    return "type = " + type + "\nevery = 3s\n" + (mode.empty() ? "" : "mode = " + mode + "\n");
  };
  return {
      {"segv", exec("segv"), "job segv: crashed", "SIGSEGV"},
      {"abort", exec("abort"), "job abort: crashed", "SIGABRT"},
      {"cpu", exec("cpu", "cpu = 1s\ntimeout = 20s\n"), "job cpu: limit", "CPU limit"},
      {"sleep", exec("sleep", "timeout = 2s\n"), "job sleep: timed_out", "deadline"},
      {"memory", exec("memory", "memory = 64M\ntimeout = 20s\n"), "job memory: limit", "memory limit"},
      {"sleepers", exec("sleepers", "processes = 32\ntimeout = 20s\n"), "job sleepers: ok", ""},
      {"files", exec("files", "files = 64\n"), "job files: failed", "opened"},
      {"flood", exec("flood", "timeout = 20s\n"), "job flood: ok", ""},
      {"warn", exec("warn"), "job warn: failed", "WARNING: disk 91% full"},
      {"garbage", plugin("HostileCheck", "garbage"), "job garbage: protocol_error", "malformed"},
      {"noresult", plugin("HostileCheck", "exit"), "job noresult: protocol_error", "without a result"},
      {"pluginflood", plugin("HostileCheck", "flood"), "job pluginflood: protocol_error", "oversize"},
      {"throws", plugin("ThrowingCheck", ""), "job throws: failed", "boom"},
  };
}

TEST(CheckerdHostile, EveryRunClassifiedHealthyJobOnTimeNothingLeftBehind) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  std::string marker = "hostile-marker-" + std::to_string(::getpid());
  std::ostringstream cfg;
  cfg << "[general]\nservername = hostile-test\nalertcontact = admin@example.org\nstatefile = " << dir.file("state")
      << "\nplugindir = " << kBin << "/../plugins\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n"
      << "[job healthy]\ntype = exec\ncommand = " << kHostile << " ok " << marker << "\nevery = 1s\n";
  std::vector<Expectation> expected = expectations(marker);
  for (const Expectation& e : expected) cfg << "[job " << e.job << "]\n" << e.config;
  std::string config = dir.write("settings.cfg", cfg.str());

  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string startLine = daemon.waitForLine("idle after the first runs; open fds: ", 30s);
  ASSERT_THAT(startLine, HasSubstr("open fds: ")) << ::testing::PrintToString(daemon.lines());
  for (const Expectation& e : expected) {
    std::string line = daemon.waitForLine(e.logged, 60s);
    EXPECT_THAT(line, HasSubstr(e.detail)) << "expected '" << e.logged << "'; log:\n"
                                           << ::testing::PrintToString(daemon.lines());
  }
  // Two more rounds of every hostile job (3 s apart) while the healthy job
  // runs each second, so its rhythm is judged under that load.
  size_t from = daemon.lines().size();
  ASSERT_NE(daemon.waitForLine("job segv: crashed", 10s, from), "");
  from = daemon.lines().size();
  ASSERT_NE(daemon.waitForLine("job segv: crashed", 10s, from), "");

  int status = daemon.stop(SIGTERM, 40s);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::string stopLine = daemon.waitForLine("stopped:", 1s);
  EXPECT_EQ(fdsIn(stopLine), fdsIn(startLine)) << startLine << "\n" << stopLine;
  // Killed processes may take a moment to be reaped by init: poll, bounded.
  std::vector<std::string> left = test::processesWith(marker);
  for (int i = 0; i < 100 && !left.empty(); ++i) {
    ::usleep(20'000);
    left = test::processesWith(marker);
  }
  EXPECT_THAT(left, ::testing::IsEmpty());

  // The healthy job kept its one-second rhythm beside all of this.
  StateStore store = StateStore::openReadOnly(dir.file("state"));
  ReadTransaction txn = store.beginRead();
  std::vector<int64_t> starts;
  txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix("exec:" + kHostile + " ok " + marker),
                        [&](std::string_view, std::string_view value) {
                          starts.push_back(ipc::decode(value)->root<ipc::RunRecord>().getStartedUnixMs());
                          return true;
                        });
  ASSERT_GE(starts.size(), 5u);
  for (size_t i = 1; i < starts.size(); ++i) {
    EXPECT_GE(starts[i] - starts[i - 1], 850) << "run " << i;
    EXPECT_LE(starts[i] - starts[i - 1], 1150) << "run " << i;
  }
}

}  // namespace
}  // namespace checker
