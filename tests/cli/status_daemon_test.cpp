// `checker status` says whether checkerd runs, in its first line, its exit
// code (3) and its JSON ("daemon"): from the writer lock (DIR/writer.lock)
// and the age of the state's heartbeat. The lock is held here by this test
// (as a wedged checkerd would hold it) or by a real checkerd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

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
using ::testing::StartsWith;

const std::string kBin = CHECKER_BIN_DIR;
constexpr int kExitDaemonDown = 3;

test::CommandResult checker(const std::string& args) { return test::runCommand(kBin + "/checker " + args); }

std::string writeConfig(const test::TempDir& dir) {
  return dir.write("settings.cfg", "[general]\nservername = daemon-test\nalertcontact = admin@example.org\n"
                                   "statefile = " + dir.file("state") + "\n[email]\nnomail = yes\n"
                                   "[peerd]\nlisten = 127.0.0.1:0\n");
}

int64_t nowMs() { return static_cast<int64_t>(::time(nullptr)) * 1000; }

// The state as checkerd leaves it, its heartbeat written at HEARTBEAT_MS;
// the store is returned open for writing: the lock stays held while it lives.
StateStore writeState(const test::TempDir& dir, int64_t heartbeatMs) {
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.beat();
  writer.flush(heartbeatMs);
  return store;
}

TEST(CheckerStatusDaemon, NoStateYetIsNotRunning) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  test::CommandResult status = checker("status -c " + cfg);
  EXPECT_EQ(status.exitCode, kExitDaemonDown) << status.output;
  EXPECT_THAT(status.output, StartsWith("checkerd: NOT RUNNING: nothing has the state at " + dir.file("state")));
  EXPECT_THAT(status.output, HasSubstr("\nstate: no state at "));
}

TEST(CheckerStatusDaemon, AStateNobodyHoldsIsNotRunningWhateverTheJobsSay) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  { StateStore left = writeState(dir, nowMs()); }  // a checkerd that stopped a moment ago
  test::CommandResult status = checker("status -c " + cfg);
  EXPECT_EQ(status.exitCode, kExitDaemonDown) << status.output;
  EXPECT_THAT(status.output, StartsWith("checkerd: NOT RUNNING: "));
  EXPECT_THAT(status.output, HasSubstr("\ncheckerd is not running; no job failing: 0 ok, 1 off\n"));
  test::CommandResult json = checker("status --json -c " + cfg);
  EXPECT_EQ(json.exitCode, kExitDaemonDown);
  EXPECT_THAT(json.output, HasSubstr("\"healthy\": false, \"daemon\": \"not running\""));
}

TEST(CheckerStatusDaemon, AHeldLockWithAnOldHeartbeatIsStaleAndAFreshOneRunning) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  StateStore held = writeState(dir, nowMs() - 5 * 60'000);
  test::CommandResult stale = checker("status -c " + cfg);
  EXPECT_EQ(stale.exitCode, kExitDaemonDown) << stale.output;
  EXPECT_THAT(stale.output, StartsWith("checkerd: NOT RESPONDING: a process (pid " + std::to_string(::getpid()) +
                                       ") has the state open, but its heartbeat is 5m ago"));
  EXPECT_THAT(checker("status --json -c " + cfg).output, HasSubstr("\"daemon\": \"stale\""));

  StateWriter writer(held);
  writer.beat();
  writer.flush(nowMs());
  test::CommandResult running = checker("status -c " + cfg);
  EXPECT_EQ(running.exitCode, 0) << running.output;
  EXPECT_THAT(running.output, StartsWith("checkerd: running (pid " + std::to_string(::getpid()) + ")\n"));
  EXPECT_THAT(checker("status --json -c " + cfg).output, HasSubstr("\"healthy\": true, \"daemon\": \"running\""));
}

// The probe takes a shared flock on the writer lock for an instant; a
// writer (checkerd starting) that meets it then waits it out, it is not
// refused as if another checkerd ran.
TEST(CheckerStatusDaemon, AProbeInProgressDoesNotKeepAWriterOut) {
  test::TempDir dir;
  { StateStore first = writeState(dir, nowMs()); }
  int fd = ::open(dir.file("state/writer.lock").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH | LOCK_NB), 0);
  EXPECT_FALSE(StateStore::probeWriter(dir.file("state")).held) << "a shared lock is not a writer";
  std::thread probeEnds([fd] {
    std::this_thread::sleep_for(20ms);  // the probe's instant, made long enough to be met
    ::close(fd);
  });
  EXPECT_NO_THROW({ StateStore writer = StateStore::openForWriting(dir.file("state")); });
  probeEnds.join();
  StateStore writer = StateStore::openForWriting(dir.file("state"));
  StateStore::WriterProbe probe = StateStore::probeWriter(dir.file("state"));
  EXPECT_TRUE(probe.held);
  EXPECT_EQ(probe.pid, std::to_string(::getpid()));
}

// A checkerd with nothing to run still writes its heartbeat (at start, then
// every few seconds): no finished run is needed to be seen running.
TEST(CheckerStatusDaemon, ARealCheckerdIsRunningAndAfterItsStopNotRunning) {
  test::TempDir dir;
  std::string cfg = writeConfig(dir);
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", cfg});
  ASSERT_NE(daemon.waitForLine("ready: scheduling", 20s), "") << ::testing::PrintToString(daemon.lines());
  test::CommandResult status;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    status = checker("status -c " + cfg);
    if (status.exitCode != kExitDaemonDown) break;
    std::this_thread::sleep_for(100ms);  // polling a state file: there is no event to wait on
  }
  EXPECT_EQ(status.exitCode, 0) << status.output;
  EXPECT_THAT(status.output, StartsWith("checkerd: running (pid " + std::to_string(daemon.pid()) + ")\n"));
  EXPECT_THAT(checker("status --json -c " + cfg).output, HasSubstr("\"daemon\": \"running\""));

  int stopped = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0) << stopped;
  test::CommandResult after = checker("status --json -c " + cfg);
  EXPECT_EQ(after.exitCode, kExitDaemonDown) << after.output;
  EXPECT_THAT(after.output, HasSubstr("\"daemon\": \"not running\""));
}

}  // namespace
}  // namespace checker
