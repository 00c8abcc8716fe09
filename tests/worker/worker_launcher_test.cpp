// The worker launcher (worker/launcher.h, worker_runs/worker_launcher.h) with
// the real checker-worker: every run gets a worker of its own, a deadline
// kill reaches the run through the launcher, a launcher that dies takes its
// runs with it and is started again, and nothing is left open or running.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <csignal>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "supervisor/supervisor.h"
#include "worker_runs/builtin_network_types.h"
#include "worker_runs/worker_launcher.h"
#include "worker_runs/worker_run.h"
#include "support/proc_scan.h"
#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;

class WorkerLauncherTest : public ::testing::Test {
 protected:
  // libuv opens two descriptors for good on its first spawn (/dev/null and
  // its signal pipe): made to exist before any test counts descriptors.
  static void SetUpTestSuite() {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_process_t process{};
    char* args[] = {const_cast<char*>("/bin/true"), nullptr};
    uv_process_options_t options{};
    options.file = args[0];
    options.args = args;
    options.exit_cb = [](uv_process_t* p, int64_t, int) { uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr); };
    if (uv_spawn(&loop, &process, &options) != 0) uv_close(reinterpret_cast<uv_handle_t*>(&process), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }

  void SetUp() override {
    becomeSubreaper();  // workers orphaned by a killed launcher come back here
    ::chmod(dir_.path().c_str(), 0755);
    fdsBefore_ = countOwnFds();
    uv_loop_init(&loop_);
    launcher_ = std::make_unique<WorkerLauncher>(&loop_, workerPath());
  }

  void TearDown() override {
    launcher_->stop();
    uv_run(&loop_, UV_RUN_DEFAULT);  // ends once the launcher has exited
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
    launcher_.reset();
    reapAllChildren();
    EXPECT_EQ(countOwnFds(), fdsBefore_) << "an fd was left open";
  }

  // Starts a run of SPEC through the launcher; the report lands in REPORTS.
  checker::WorkerRun* launch(const RunSpec& spec, uint32_t supervisorTimeoutMs = 20'000) {
    WorkerRunSpec run;
    run.request = buildRunRequest(spec);
    run.timeoutMs = supervisorTimeoutMs;
    run.spareKind = spareKindFor(spec.type);  // as checkerd asks
    Result<checker::WorkerRun*> started = checker::WorkerRun::launch(
        &loop_, *launcher_, nextRunId_++, run, [this](WorkerRunReport&& report) { reports_.push_back(std::move(report)); });
    EXPECT_TRUE(started.ok()) << started.error();
    return started ? *started : nullptr;
  }

  // Runs the loop until DONE() holds, checking every 5 ms; false after LIMIT.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    uv_timer_t check;
    uv_timer_init(&loop_, &check);
    check.data = &loop_;
    uv_timer_start(&check, [](uv_timer_t* t) { uv_stop(static_cast<uv_loop_t*>(t->data)); }, 5, 5);
    bool met = done();
    while (!met && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_DEFAULT);
      met = done();
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return met;
  }

  TempDir dir_;
  uv_loop_t loop_{};
  std::unique_ptr<WorkerLauncher> launcher_;
  std::vector<WorkerRunReport> reports_;
  uint64_t nextRunId_ = 1;
  int fdsBefore_ = 0;
};

TEST_F(WorkerLauncherTest, ManyRunsAtOnceEachInAWorkerOfItsOwn) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  constexpr size_t kRuns = 24;
  for (size_t i = 0; i < kRuns; ++i) launch(shellJob("echo run " + std::to_string(i), dir_.path()));
  ASSERT_TRUE(runUntil([&] { return reports_.size() == kRuns; }));
  std::set<int> pids;
  for (WorkerRunReport& report : reports_) {
    EXPECT_EQ(report.observation.reply, ReplyState::ok) << report.observation.replyError << report.stderrText;
    EXPECT_EQ(report.observation.exitStatus, 0);
    EXPECT_EQ(report.observation.termSignal, 0);
    EXPECT_FALSE(report.launcherLost);
    EXPECT_GT(report.pid, 0);
    EXPECT_NE(report.pid, launcher_->pid());
    pids.insert(report.pid);
  }
  EXPECT_EQ(pids.size(), kRuns) << "two runs shared a worker";
}

TEST_F(WorkerLauncherTest, DeadlineKillsTheRunThroughTheLauncher) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  std::string marker = "300." + std::to_string(::getpid());  // a sleep only this test runs
  launch(shellJob("exec sleep " + marker, dir_.path()), /*supervisorTimeoutMs=*/300);
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 1; }));
  const WorkerRunReport& report = reports_.front();
  EXPECT_TRUE(report.observation.killedAtDeadline);
  EXPECT_EQ(report.observation.termSignal, SIGKILL);
  EXPECT_GE(report.durationMs, 300u);
  // The launcher killed the worker's group before reaping it; the command
  // dies with the worker (its death signal).
  EXPECT_TRUE(runUntil([&] { return processesWith(marker).empty(); }, 5s)) << processesWith(marker).front();
  EXPECT_EQ(::kill(-report.pid, 0), -1) << "the run's process group is still there";
}

// The loop's cached time is that of its last tick: a run started after
// the loop was busy elsewhere (here: not run at all for 1.5 s, as a long
// commit or reload would hold it) still gets its whole timeout.
TEST_F(WorkerLauncherTest, ARunsDeadlineCountsFromItsStartNotFromTheLoopsLastTick) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  ASSERT_TRUE(runUntil([&] { return launcher_->ready(); }));
  std::this_thread::sleep_for(1500ms);  // the loop is blocked: what is measured, not a wait for an event
  launch(shellJob("sleep 0.2; echo done", dir_.path()), /*supervisorTimeoutMs=*/1000);
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 1; }));
  const WorkerRunReport& report = reports_.front();
  EXPECT_FALSE(report.observation.killedAtDeadline) << "killed after " << report.durationMs << " ms";
  EXPECT_EQ(report.observation.reply, ReplyState::ok) << report.observation.replyError;
  EXPECT_GE(report.durationMs, 200u);
  EXPECT_LT(report.durationMs, 1000u) << "the duration counts from the run's start too";
}

TEST_F(WorkerLauncherTest, ADeadLauncherTakesItsRunsAndIsStartedAgain) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  std::string marker = "301." + std::to_string(::getpid());
  launch(shellJob("exec sleep " + marker, dir_.path()));
  ASSERT_TRUE(runUntil([&] { return !processesWith(marker).empty(); })) << "the job never started";
  int firstLauncher = launcher_->pid();
  ASSERT_GT(firstLauncher, 0);
  ASSERT_EQ(::kill(firstLauncher, SIGKILL), 0);

  ASSERT_TRUE(runUntil([&] { return reports_.size() == 1; }));
  EXPECT_TRUE(reports_.front().launcherLost);
  EXPECT_TRUE(runUntil([&] { return processesWith(marker).empty(); }, 5s)) << "the run outlived its launcher";

  ASSERT_TRUE(runUntil([&] { return launcher_->ready() && launcher_->restarts() == 1; }, 5s));
  EXPECT_NE(launcher_->pid(), firstLauncher);
  launch(shellJob("echo after the restart", dir_.path()));
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 2; }));
  EXPECT_EQ(reports_.back().observation.reply, ReplyState::ok) << reports_.back().stderrText;
  EXPECT_FALSE(reports_.back().launcherLost);
}

// The launcher's children as /proc lists them (the spare, and runs going).
std::vector<pid_t> childrenOf(int pid) {
  std::vector<pid_t> children;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child = 0; in >> child;) children.push_back(child);
  return children;
}

TEST_F(WorkerLauncherTest, ASpareThatDiedIsNotUsedAndNoRunIsLost) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  // With no run going, the launcher's children are the spares it forked
  // ahead (worker/launcher.cpp, kSpares of each kind: exec and plugin runs,
  // tcp runs), its net zygote and the two spares that forked for http and
  // tls_cert runs (worker/net_zygote.h). All die.
  ASSERT_TRUE(runUntil([&] { return childrenOf(launcher_->pid()).size() == 7; }, 5s));
  std::vector<pid_t> spares = childrenOf(launcher_->pid());
  for (pid_t spare : spares) ASSERT_EQ(::kill(spare, SIGKILL), 0);
  ASSERT_TRUE(runUntil([&] {
    std::vector<pid_t> now = childrenOf(launcher_->pid());
    for (pid_t spare : spares) {
      if (std::find(now.begin(), now.end(), spare) != now.end()) return false;
    }
    return true;
  }, 5s)) << "a dead spare was not reaped";
  launch(shellJob("echo after the spares died", dir_.path()));
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 1; }));
  EXPECT_EQ(reports_.front().observation.reply, ReplyState::ok) << reports_.front().stderrText;
  for (pid_t spare : spares) EXPECT_NE(reports_.front().pid, spare);
}

std::string readLink(const std::string& path) {
  char target[256];
  ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
}

std::string statusField(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size() + 1, key + ":") == 0) return line.substr(key.size() + 1);
  }
  return "";
}

// A loopback listener whose accept queue is full: a connect to it waits
// for the job's connect timeout (its SYNs are dropped), so a tcp run stays
// alive long enough to be looked at.
struct FullListener {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int filler = -1;
  int port = 0;
  FullListener() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 0) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // blocking: returns once it is queued
    if (::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) port = ntohs(address.sin_port);
  }
  ~FullListener() {
    ::close(filler);
    ::close(listener);
  }
};

// A built-in network run is one process, pid 1 of a pid namespace of its
// own, in the read-only mount namespace the launcher prepared once (every
// such run the same one; not the launcher's): nothing writable, /var/tmp,
// /dev/shm and /proc empty tmpfs (worker/run_namespaces.h).
TEST_F(WorkerLauncherTest, ABuiltInNetworkRunIsOneProcessInTheSharedReadOnlyNamespace) {
  if (!runningAsRoot()) GTEST_SKIP() << "namespaces and the drop to the job user need root";
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  FullListener full;
  ASSERT_GT(full.port, 0);
  for (int i = 0; i < 2; ++i) {
    RunSpec spec;
    spec.type = "tcp";
    spec.params = {{"host", "127.0.0.1"}, {"port", std::to_string(full.port)}, {"connect_timeout_ms", "3000"}};
    spec.workDir = dir_.path();
    spec.dropPrivileges = spec.isolate = true;
    launch(spec);
  }
  // The runs are the launcher's children that dropped to nobody (spares are root).
  std::vector<pid_t> runs;
  ASSERT_TRUE(runUntil([&] {
    runs.clear();
    for (pid_t child : childrenOf(launcher_->pid())) {
      if (statusField(child, "Uid").find("65534") != std::string::npos) runs.push_back(child);
    }
    return runs.size() == 2;
  }, 10s)) << "the two tcp runs never showed up as the launcher's children";
  std::string launcherNs = readLink("/proc/" + std::to_string(launcher_->pid()) + "/ns/mnt");
  std::string shared = readLink("/proc/" + std::to_string(runs[0]) + "/ns/mnt");
  EXPECT_NE(shared, launcherNs);
  EXPECT_EQ(readLink("/proc/" + std::to_string(runs[1]) + "/ns/mnt"), shared);
  EXPECT_NE(readLink("/proc/" + std::to_string(runs[0]) + "/ns/pid"), readLink("/proc/" + std::to_string(runs[1]) + "/ns/pid"));
  for (pid_t run : runs) {
    EXPECT_THAT(statusField(run, "NSpid"), ::testing::EndsWith("\t1")) << "run " << run << " is not its namespace's pid 1";
    EXPECT_TRUE(childrenOf(run).empty()) << "run " << run << " has a second process";
    std::ifstream mounts("/proc/" + std::to_string(run) + "/mountinfo");
    std::set<std::string> emptyTmpfs;
    for (std::string line; std::getline(mounts, line);) {
      std::istringstream fields(line);
      std::string id, parent, device, root, point, options;
      fields >> id >> parent >> device >> root >> point >> options;
      EXPECT_TRUE(options == "ro" || options.compare(0, 3, "ro,") == 0) << "writable in run " << run << ": " << line;
      if (line.find(" - tmpfs ") != std::string::npos) emptyTmpfs.insert(point);
    }
    for (const char* dir : {"/var/tmp", "/dev/shm", "/proc"}) EXPECT_EQ(emptyTmpfs.count(dir), 1u) << dir;
  }
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 2; }));
  for (const WorkerRunReport& report : reports_) {
    EXPECT_EQ(report.observation.reply, ReplyState::ok) << report.observation.replyError << report.stderrText;
    EXPECT_EQ(report.observation.exitStatus, 0);
  }
}

// The death signal of a one-process run (pid 1 of its pid namespace, its
// parent outside seen as 0) is armed again after the privilege drop, which
// clears it: the run dies with the launcher.
TEST_F(WorkerLauncherTest, AOneProcessRunDiesWithTheLauncher) {
  if (!runningAsRoot()) GTEST_SKIP() << "namespaces and the drop to the job user need root";
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  FullListener full;
  ASSERT_GT(full.port, 0);
  RunSpec spec;
  spec.type = "tcp";
  spec.params = {{"host", "127.0.0.1"}, {"port", std::to_string(full.port)}, {"connect_timeout_ms", "15000"}};
  spec.workDir = dir_.path();
  spec.dropPrivileges = spec.isolate = true;
  launch(spec);
  pid_t run = 0;
  ASSERT_TRUE(runUntil([&] {
    for (pid_t child : childrenOf(launcher_->pid())) {
      if (statusField(child, "Uid").find("65534") != std::string::npos) run = child;
    }
    return run != 0;
  }, 10s));
  ASSERT_EQ(::kill(launcher_->pid(), SIGKILL), 0);
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 1; }));
  // Orphans come back to this subreaper: reaped here once it died.
  EXPECT_TRUE(runUntil([&] {
    int status = 0;
    pid_t reaped = ::waitpid(run, &status, WNOHANG);
    return reaped == run || (reaped < 0 && errno == ECHILD && ::kill(run, 0) != 0);
  }, 5s)) << "the tcp run outlived its launcher";
}

bool mapsNetJobsModule(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find("checker-net-jobs.so") != std::string::npos) return true;
  }
  return false;
}

// checker-net-jobs.so (libcurl, OpenSSL) is loaded once, in the net zygote,
// whose spares (for http and tls_cert runs) have it from the start; the
// launcher and its other spares do not map it (each fork would copy it).
TEST_F(WorkerLauncherTest, OnlyTheNetZygoteAndItsSparesHaveTheNetModule) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  ASSERT_TRUE(runUntil([&] { return childrenOf(launcher_->pid()).size() == 7; }, 5s));
  int withModule = 0;
  for (pid_t child : childrenOf(launcher_->pid())) withModule += mapsNetJobsModule(child) ? 1 : 0;
  EXPECT_EQ(withModule, 3) << "the zygote and its two spares";
  EXPECT_FALSE(mapsNetJobsModule(launcher_->pid()));
}

// One HTTP exchange on loopback: answers the first request 200, then closes.
struct OneAnswerHttpServer {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int port = 0;
  std::thread thread;
  OneAnswerHttpServer() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 4) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port = ntohs(address.sin_port);
    thread = std::thread([this] {
      int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) return;
      std::string request;
      char buffer[1024];
      ssize_t got;
      while (request.find("\r\n\r\n") == std::string::npos && (got = ::recv(connection, buffer, sizeof buffer, 0)) > 0) {
        request.append(buffer, static_cast<size_t>(got));
      }
      static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(connection, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
      ::close(connection);
    });
  }
  ~OneAnswerHttpServer() {
    ::shutdown(listener, SHUT_RDWR);  // an accept() still waiting returns
    if (thread.joinable()) thread.join();
    ::close(listener);
  }
};

// An http run goes through the net zygote's spare (startNet) and, as root,
// the shared read-only namespace: it loads nothing and gets its answer.
TEST_F(WorkerLauncherTest, AnHttpRunThroughTheNetZygoteGetsItsAnswer) {
  Result<> started = launcher_->start();
  ASSERT_TRUE(started.ok()) << started.error();
  OneAnswerHttpServer server;
  ASSERT_GT(server.port, 0);
  RunSpec spec;
  spec.type = "http";
  spec.params = {{"url", "http://127.0.0.1:" + std::to_string(server.port) + "/"}, {"expect_status", "200"}};
  spec.workDir = dir_.path();
  spec.dropPrivileges = spec.isolate = runningAsRoot();
  launch(spec);
  ASSERT_TRUE(runUntil([&] { return reports_.size() == 1; }));
  WorkerRunReport& report = reports_.front();
  ASSERT_EQ(report.observation.reply, ReplyState::ok) << report.observation.replyError << report.stderrText;
  auto result = report.reply->root<ipc::WorkerReply>().getResult();
  EXPECT_EQ(result.getOutcome(), ipc::Outcome::OK) << result.getMessage().cStr();
}

TEST_F(WorkerLauncherTest, NoLauncherNoRun) {
  launcher_->stop();
  uv_run(&loop_, UV_RUN_DEFAULT);
  launcher_ = std::make_unique<WorkerLauncher>(&loop_, dir_.file("no-such-worker"));
  Result<> started = launcher_->start();
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(started.error(), ::testing::HasSubstr(dir_.file("no-such-worker")));
  EXPECT_FALSE(launcher_->ready());
  WorkerRunSpec run;
  run.request = buildRunRequest(shellJob("true", dir_.path()));
  Result<checker::WorkerRun*> launched =
      checker::WorkerRun::launch(&loop_, *launcher_, 1, run, [](WorkerRunReport&&) { ADD_FAILURE() << "reported"; });
  EXPECT_FALSE(launched.ok());
  EXPECT_THAT(launched.error(), ::testing::HasSubstr("launcher"));
}

}  // namespace
}  // namespace checker::test
