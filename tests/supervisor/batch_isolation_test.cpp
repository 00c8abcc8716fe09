// isolation = batch through a real checkerd: tcp probes in one sandboxed
// probe worker keep each job's own outcome, message and schedule; a probe
// that hangs delays no other; a probe worker killed under its probes ends
// them `crashed` and is replaced, the supervisor untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "jobs/job_test_support.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/state_keys.h"
#include "state/state_store.h"
#include "support/loopback_listener.h"
#include "support/daemon_process.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

struct RecordedProbe {
  int64_t startedUnixMs;
  ipc::Outcome outcome;
  std::string message;
  int64_t latencyUs;
};

std::vector<RecordedProbe> runsOf(const std::string& stateDir, const std::string& jobId) {
  StateStore store = StateStore::openReadOnly(stateDir);
  ReadTransaction txn = store.beginRead();
  std::vector<RecordedProbe> runs;
  txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(jobId), [&](std::string_view, std::string_view v) {
    std::unique_ptr<ipc::DecodedMessage> message = ipc::decode(v);  // the reader points into it
    auto record = message->root<ipc::RunRecord>();
    runs.push_back({record.getStartedUnixMs(), record.getOutcome(), record.getMessage().cStr(), record.getLatencyUs()});
    return true;
  });
  std::sort(runs.begin(), runs.end(), [](const RecordedProbe& a, const RecordedProbe& b) { return a.startedUnixMs < b.startedUnixMs; });
  return runs;
}

std::string writeConfig(test::TempDir& dir, const std::string& jobs) {
  std::ostringstream cfg;
  cfg << "[general]\nservername = batch-test\nalertcontact = admin@example.org\nstatefile = " << dir.file("state")
      << "\nisolation = batch\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n" << jobs;
  return dir.write("settings.cfg", cfg.str());
}

int probeWorkerPid(const std::string& line) {
  size_t at = line.find("probe worker ");
  return at == std::string::npos ? 0 : std::atoi(line.c_str() + at + 13);
}

TEST(BatchIsolation, EachProbeKeepsItsOutcomeAndAHangingOneDelaysNoOther) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  test::LoopbackListener healthy(false), hanging(true), closed(false);
  ASSERT_TRUE(healthy.answers());
  ASSERT_FALSE(hanging.answers()) << "the hanging listener must not complete a handshake";
  std::string refused = closed.target();
  { test::LoopbackListener gone = std::move(closed); }  // nothing listens there now
  std::string config = writeConfig(
      dir, "[job healthy]\ntype = tcp\ntarget = " + healthy.target() + "\nevery = 1s\n" +
               "[job hang]\ntype = tcp\ntarget = " + hanging.target() + "\nconnect_timeout = 3s\nevery = 1s\n" +
               "[job refused]\ntype = tcp\ntarget = " + refused + "\nevery = 1s\n" +
               "[job exec]\ntype = exec\ncommand = /bin/true\nevery = 1s\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string hung = daemon.waitForLine("job hang: failed", 20s);
  ASSERT_THAT(hung, HasSubstr("could not connect to " + hanging.target() + ": timed out after 3000 ms"))
      << ::testing::PrintToString(daemon.lines());
  ASSERT_EQ(daemon.stop(SIGTERM, 15s), 0);

  std::string state = dir.file("state");
  std::vector<RecordedProbe> ok = runsOf(state, "tcp:" + healthy.target());
  ASSERT_GE(ok.size(), 3u) << "the healthy job ran every second while the other hung";
  for (size_t i = 0; i < ok.size(); ++i) {
    EXPECT_EQ(ok[i].outcome, ipc::Outcome::OK) << ok[i].message;
    EXPECT_THAT(ok[i].message, HasSubstr("connected to " + healthy.target() + " (127.0.0.1) in "));
    EXPECT_GE(ok[i].latencyUs, 0) << "the probe's connect time is in its history";
    EXPECT_LT(ok[i].latencyUs, 1'000'000);
    if (i > 0) {
      EXPECT_LE(ok[i].startedUnixMs - ok[i - 1].startedUnixMs, 1150) << "run " << i << " was late";
    }
  }
  std::vector<RecordedProbe> no = runsOf(state, "tcp:" + refused);
  ASSERT_FALSE(no.empty());
  EXPECT_EQ(no[0].outcome, ipc::Outcome::FAILED);
  EXPECT_EQ(no[0].message, "could not connect to " + refused + ": Connection refused");
  EXPECT_EQ(no[0].latencyUs, -1) << "a refused connect measured nothing";
  std::vector<RecordedProbe> exec = runsOf(state, "exec:/bin/true");
  ASSERT_FALSE(exec.empty()) << "exec jobs run as ever, a process each";
  EXPECT_GE(exec[0].latencyUs, 0) << "an exec run's command time is in its history";
  // One probe worker served every probe; the hanging one overran, never started twice at once.
  size_t started = 0;
  for (const std::string& line : daemon.lines()) started += line.find("probe worker") != std::string::npos &&
                                                            line.find(" started: ") != std::string::npos;
  EXPECT_EQ(started, 1u) << ::testing::PrintToString(daemon.lines());
}

TEST(BatchIsolation, AKilledProbeWorkerCrashesWhatItHeldAndIsReplaced) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  test::LoopbackListener healthy(false), hanging(true);
  ASSERT_FALSE(hanging.answers());
  std::string config = writeConfig(
      dir, "[job healthy]\ntype = tcp\ntarget = " + healthy.target() + "\nevery = 1s\n" +
               "[job hang]\ntype = tcp\ntarget = " + hanging.target() + "\nconnect_timeout = 20s\nevery = 1s\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string first = daemon.waitForLine(" started: isolation = batch", 20s);
  int pid = probeWorkerPid(first);
  ASSERT_GT(pid, 0) << first;
  // Its first answer: its sandbox is applied by then.
  ASSERT_THAT(daemon.waitForLine("job healthy: ok", 10s), HasSubstr("ok")) << ::testing::PrintToString(daemon.lines());
  if (::geteuid() == 0) {  // the same privilege drop as any run
    // As root the pid is the run namespaces' init; the worker is its child.
    std::ifstream children("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    int worker = 0;
    children >> worker;
    ASSERT_GT(worker, 0);
    std::ifstream status("/proc/" + std::to_string(worker) + "/status");
    std::string line;
    while (std::getline(status, line) && line.rfind("Uid:", 0) != 0) {
    }
    EXPECT_THAT(line, ::testing::Not(HasSubstr("\t0\t"))) << line;
  }
  ::usleep(1'500'000);  // wall time for the hanging probe to be held (it waits 20 s)
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  std::string crashed = daemon.waitForLine("job hang: crashed", 10s);
  EXPECT_THAT(crashed, HasSubstr("the probe worker was killed by SIGKILL")) << ::testing::PrintToString(daemon.lines());
  std::string second = daemon.waitForLine(" started: isolation = batch", 10s, 1 + static_cast<size_t>(
      std::find(daemon.lines().begin(), daemon.lines().end(), first) - daemon.lines().begin()));
  ASSERT_GT(probeWorkerPid(second), 0) << ::testing::PrintToString(daemon.lines());
  EXPECT_NE(probeWorkerPid(second), pid);
  size_t before = runsOf(dir.file("state"), "tcp:" + healthy.target()).size();
  daemon.waitForLine("no such line", 2500ms);  // two more seconds of the healthy job's runs
  ASSERT_EQ(daemon.stop(SIGTERM, 15s), 0);
  std::vector<RecordedProbe> after = runsOf(dir.file("state"), "tcp:" + healthy.target());
  EXPECT_GE(after.size(), before + 2) << "the replacement serves the next probes";
  EXPECT_EQ(after.back().outcome, ipc::Outcome::OK) << after.back().message;
}

// While the worker launcher restarts (it died, and the probe worker with
// it), due probes wait as runs do: none is recorded as a run that could
// not start, and the lost ones are not recorded at all.
TEST(BatchIsolation, ProbesWaitOutALauncherRestartAndNoneFails) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  // Forty targets: their phases spread over the second, so some fall due
  // while the launcher is down, however short its restart.
  std::vector<std::unique_ptr<test::LoopbackListener>> targets;
  std::string list;
  for (int i = 0; i < 40; ++i) {
    targets.push_back(std::make_unique<test::LoopbackListener>(false));
    list += (i ? ", " : "") + targets.back()->target();
  }
  const test::LoopbackListener& healthy = *targets.front();
  std::string config = writeConfig(dir, "[job healthy]\ntype = tcp\ntargets = " + list + "\nevery = 1s\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  std::string launcher = daemon.waitForLine("worker launcher started (pid ", 20s);
  ASSERT_FALSE(launcher.empty()) << ::testing::PrintToString(daemon.lines());
  int launcherPid = std::atoi(launcher.c_str() + launcher.find("(pid ") + 5);
  ASSERT_THAT(daemon.waitForLine("job healthy[" + healthy.target() + "]: ok", 10s), HasSubstr("ok"));
  // Killed twice in a row: the second restart waits (the backoff), and
  // probes fall due meanwhile.
  for (int kill = 0; kill < 2; ++kill) {
    ASSERT_EQ(::kill(launcherPid, SIGKILL), 0);
    std::string restarting = daemon.waitForLine("restarting in", 10s, daemon.lines().size());
    ASSERT_THAT(restarting, HasSubstr("worker launcher")) << ::testing::PrintToString(daemon.lines());
    std::string again = daemon.waitForLine("worker launcher started (pid ", 20s, daemon.lines().size());
    ASSERT_FALSE(again.empty()) << ::testing::PrintToString(daemon.lines());
    launcherPid = std::atoi(again.c_str() + again.find("(pid ") + 5);
  }
  size_t from = daemon.lines().size();
  ASSERT_FALSE(daemon.waitForLine(" started: isolation = batch", 20s, from).empty()) << ::testing::PrintToString(daemon.lines());
  daemon.waitForLine("no such line", 2500ms);  // runs after the restart
  ASSERT_EQ(daemon.stop(SIGTERM, 15s), 0);
  for (const auto& target : targets) {
    std::vector<RecordedProbe> runs = runsOf(dir.file("state"), "tcp:" + target->target());
    ASSERT_GE(runs.size(), 2u) << target->target();
    for (const RecordedProbe& run : runs) EXPECT_EQ(run.outcome, ipc::Outcome::OK) << target->target() << ": " << run.message;
  }
}

// http (through curl's multi handle) and tls_cert (OpenSSL) in fibers,
// against a real TLS server, by name: the lookup of "localhost" runs on a
// thread of the probe worker.
TEST(BatchIsolation, HttpsAndTlsCertProbesGiveTheirRunsAnswers) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  test::TestPki pki{dir};
  test::TlsServer server(dir, pki.issue("localhost", 30, "DNS:localhost,IP:127.0.0.1"));
  ASSERT_TRUE(server.ready());
  std::string port = std::to_string(server.port());
  std::string config = writeConfig(
      dir, "[job web]\ntype = http\nurl = https://localhost:" + port + "/\nexpect_body = s_server\ncafile = " +
               pki.caFile() + "\nevery = 1s\n[job cert]\ntype = tls_cert\ntarget = localhost:" + port +
               "\nwarn_days = 10\ncafile = " + pki.caFile() + "\nevery = 1s\n[job short]\ntype = tls_cert\ntarget = 127.0.0.1:" +
               port + "\nwarn_days = 60\ncafile = " + pki.caFile() + "\nevery = 1s\n");
  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  EXPECT_THAT(daemon.waitForLine("job web: ", 20s), HasSubstr("job web: ok")) << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(daemon.waitForLine("job cert: ", 20s), HasSubstr("job cert: ok")) << ::testing::PrintToString(daemon.lines());
  EXPECT_THAT(daemon.waitForLine("job short: ", 20s), HasSubstr("expires in")) << ::testing::PrintToString(daemon.lines());
  ASSERT_EQ(daemon.stop(SIGTERM, 15s), 0);
  std::vector<RecordedProbe> web = runsOf(dir.file("state"), "http:https://localhost:" + port + "/");
  ASSERT_FALSE(web.empty());
  EXPECT_THAT(web[0].message, HasSubstr("https://localhost:" + port + "/ answered 200 in "));
}

}  // namespace
}  // namespace checker
