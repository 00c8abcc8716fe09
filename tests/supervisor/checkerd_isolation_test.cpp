// Two jobs of one checkerd at the same time, one of them hostile: it looks
// in /proc for the other's processes and tries to SIGKILL them, to
// PTRACE_ATTACH to them and to open their memory for writing. Each run is
// in pid and mount namespaces of its own (worker/run_namespaces.h), so the
// attacker finds nothing and the victim's runs are all ok. The two meet
// only in a directory both are granted (writable_paths), which also shows
// that the attack ran while the victim was running.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <sstream>

#include "state/state_keys.h"
#include "state/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "support/daemon_process.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

TEST(CheckerdIsolation, AJobCannotKillOrTraceAConcurrentJob) {
  if (::geteuid() != 0) GTEST_SKIP() << "per-run namespaces need checkerd to run as root";
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  // Outside /tmp and /var/tmp, whose writes each run keeps to itself (and
  // where the build tree itself may be): a root-only test, so in /var/lib.
  std::string meet = "/var/lib/checker-isolation-meet-XXXXXX";
  ASSERT_NE(::mkdtemp(meet.data()), nullptr);
  ::chmod(meet.c_str(), 0777);
  struct RemoveMeet {
    std::string path;
    ~RemoveMeet() { test::runCommand("/bin/rm -rf '" + path + "'"); }
  } removeMeet{meet};
  std::string victim = "victim-" + std::to_string(::getpid());
  std::string victimCommand = "touch " + meet + "/running.$$; for i in $(seq 160); do ls " + meet +
                              "/attacked.* >/dev/null 2>&1 && break; sleep 0.05; done; rm -f " + meet +
                              "/running.$$ " + meet + "/attacked.*; echo " + victim + " survived";
  std::ostringstream cfg;
  cfg << "[general]\nservername = isolation-test\nalertcontact = admin@example.org\nstatefile = " << dir.file("state")
      << "\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n"
      // The victim holds a file in the meeting place while it runs, and
      // runs until an attacker has said it attacked (bounded: 8 s).
      << "[job victim]\ntype = exec\nshell = yes\nevery = 3s\ntimeout = 20s\nwritable_paths = " << meet
      << "\ncommand = " << victimCommand << "\n"
      // The attacker waits (bounded) until a victim runs, attacks, says
      // whether the victim was still running when the attack was over (it
      // must be: it waits for this), and exits 1 so that checkerd logs it.
      << "[job attacker]\ntype = exec\nshell = yes\nevery = 2s\ntimeout = 20s\nwritable_paths = " << meet
      << "\ncommand = for i in $(seq 100); do ls " << meet << "/running.* >/dev/null 2>&1 && break; sleep 0.05; done; "
      << kBin << "/checker-test-hostile attack victim- " << getpid() << " | tr -d '\\n'; ls " << meet
      << "/running.* >/dev/null 2>&1 && echo ' (victim running)' || echo ' (no victim running)'; touch " << meet
      << "/attacked.$$; exit 1\n";
  std::string config = dir.write("settings.cfg", cfg.str());
  std::string victimJobId = "exec:" + victimCommand + " (shell)";

  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  for (int attack = 0; attack < 3; ++attack) {
    std::string line = daemon.waitForLine("job attacker: failed", 30s, attack == 0 ? 0 : daemon.lines().size());
    ASSERT_THAT(line, HasSubstr("attack on " + victim)) << ::testing::PrintToString(daemon.lines());
    EXPECT_THAT(line, HasSubstr("found 0, mem opened 0, traced 0, killed 0 (victim running)")) << line;
  }
  int status = daemon.stop(SIGTERM, 40s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (const std::string& line : daemon.lines()) EXPECT_THAT(line, ::testing::Not(HasSubstr("job victim: crashed")));

  // Every run of the victim was ok (checkerd logs an ok run only when the
  // state changes, so the history tells).
  StateStore store = StateStore::openReadOnly(dir.file("state"));
  ReadTransaction txn = store.beginRead();
  int runs = 0;
  txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(victimJobId),
                        [&](std::string_view, std::string_view value) {
                          std::unique_ptr<ipc::DecodedMessage> decoded = ipc::decode(value);  // outlives record
                          auto record = decoded->root<ipc::RunRecord>();
                          EXPECT_EQ(record.getOutcome(), ipc::Outcome::OK) << record.getMessage().cStr();
                          ++runs;
                          return true;
                        });
  EXPECT_GE(runs, 2);
}

}  // namespace
}  // namespace checker
