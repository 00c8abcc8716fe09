// systemd's notification protocol, with a socket the test listens on as
// systemd would: the notifier's datagrams (path and abstract sockets, the
// environment it reads and clears, WATCHDOG_PID), and a real checkerd that
// says READY=1 once its children are up, feeds WATCHDOG=1 from its loop,
// stops feeding while its loop is stopped (what systemd detects), and says
// STOPPING=1 on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "supervisor/systemd_notify.h"
#include "support/daemon_process.h"
#include "support/notify_socket.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kBin = CHECKER_BIN_DIR;

using test::NotifySocket;

TEST(SystemdNotifier, SendsToAPathAndToAnAbstractSocket) {
  test::TempDir dir;
  for (const std::string& name : {dir.file("notify"), "@checker-notify-test-" + std::to_string(::getpid())}) {
    NotifySocket systemd(name);
    SystemdNotifier notifier(name, 0);
    ASSERT_TRUE(notifier.ready("scheduling 3 job(s)\nsecond line dropped"));
    EXPECT_EQ(systemd.next(1s), "READY=1\nSTATUS=scheduling 3 job(s)\n") << name;
    ASSERT_TRUE(notifier.watchdog());
    EXPECT_EQ(systemd.next(1s), "WATCHDOG=1\n");
    ASSERT_TRUE(notifier.stopping("stopping (SIGTERM)"));
    EXPECT_EQ(systemd.next(1s), "STOPPING=1\nSTATUS=stopping (SIGTERM)\n");
  }
}

TEST(SystemdNotifier, ReadsAndClearsTheEnvironment) {
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  SystemdNotifier ours = SystemdNotifier::fromEnvironment();
  EXPECT_TRUE(ours.enabled());
  EXPECT_EQ(ours.watchdogUsec(), 30'000'000u);
  EXPECT_EQ(ours.feedEveryMs(), 15'000u);
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
  // Another process's watchdog is not ours to feed.
  ::setenv("NOTIFY_SOCKET", "@x", 1);
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  SystemdNotifier other = SystemdNotifier::fromEnvironment();
  EXPECT_TRUE(other.enabled());
  EXPECT_EQ(other.watchdogUsec(), 0u);
  // Not started by systemd: nothing to say, nothing fails.
  SystemdNotifier none = SystemdNotifier::fromEnvironment();
  EXPECT_FALSE(none.enabled());
  EXPECT_TRUE(none.ready("x"));
}

TEST(CheckerdUnderSystemd, ReadyWhenUpWatchdogFedFromTheLoopAndMissedWhileStopped) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  NotifySocket systemd(dir.file("notify"));
  std::string config = dir.write(
      "settings.cfg", "[general]\nservername = sd-test\nalertcontact = admin@example.org\nstatefile = " +
                          dir.file("state") + "\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n" +
                          "[job true]\ntype = exec\ncommand = /bin/true\nevery = 1s\n");
  const uint64_t watchdogMs = 1000;  // fed every 500 ms: slack for a loaded machine
  ::setenv("NOTIFY_SOCKET", systemd.name().c_str(), 1);
  ::setenv("WATCHDOG_USEC", std::to_string(watchdogMs * 1000).c_str(), 1);
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");

  std::string ready = systemd.nextStartingWith("READY=1", 20s);
  ASSERT_THAT(ready, HasSubstr("STATUS=scheduling ")) << ::testing::PrintToString(daemon.lines());
  // Children are up when READY comes: peerd has its socket.
  EXPECT_NE(daemon.waitForLine("peerd: answering peers on", 2s), "");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(systemd.next(std::chrono::milliseconds(watchdogMs)), "WATCHDOG=1\n") << "feed " << i;
  }
  // A stopped loop feeds nothing: systemd would see the interval pass.
  ASSERT_EQ(::kill(daemon.pid(), SIGSTOP), 0);
  while (!systemd.next(50ms).empty()) {
  }  // what was sent before the stop
  EXPECT_EQ(systemd.next(std::chrono::milliseconds(2 * watchdogMs)), "") << "fed while stopped";
  ASSERT_EQ(::kill(daemon.pid(), SIGCONT), 0);
  EXPECT_EQ(systemd.next(std::chrono::milliseconds(watchdogMs)), "WATCHDOG=1\n") << "not fed after SIGCONT";

  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  EXPECT_THAT(systemd.nextStartingWith("STOPPING=1", 10s), HasSubstr("STATUS=stopping (SIGTERM)"));
  int status = daemon.stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace checker
