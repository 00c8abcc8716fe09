// Per-run cgroups (worker_runs/run_cgroups.h) with the real worker: the
// worker joins them, their limits hold, cleanup kills what a job left
// behind, and a new supervisor sweeps what an old one left. Needs root and a
// writable cgroup v2 or v1 (pids + memory); skips otherwise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <iterator>
#include <fstream>
#include <vector>

#include "worker_runs/run_cgroups.h"
#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker::test {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::vector<pid_t> pidsIn(const std::string& dir) {
  std::istringstream in(readText(dir + "/cgroup.procs"));
  std::vector<pid_t> pids;
  for (long pid = 0; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

std::string parentOf(const std::string& path) { return path.substr(0, path.find_last_of('/')); }
std::string nameOf(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

bool writeText(const std::string& path, const std::string& text) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return false;
  bool ok = std::fputs(text.c_str(), file) >= 0;
  return std::fclose(file) == 0 && ok;
}

class RunCgroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    becomeSubreaper();
    ::chmod(dir_.path().c_str(), 0755);
    if (!runningAsRoot()) GTEST_SKIP() << "making cgroups needs root here";
    cgroups_ = std::make_unique<RunCgroups>(RunCgroups::detect());
    if (cgroups_->mode() == RunCgroups::Mode::none) GTEST_SKIP() << "no run cgroups: " << cgroups_->whyNot();
  }

  void TearDown() override {
    if (cgroups_) {
      for (const auto& [id, dirs] : runDirs_) EXPECT_TRUE(cleanUp(id)) << "run " << id << " left behind";
    }
    reapAllChildren();
    cgroups_.reset();
  }

  // cleanupRun until it reports the run removed: each call is non-blocking;
  // in between, wait (bounded) for the processes it killed to exit.
  bool cleanUp(uint64_t id, int* processesSeen = nullptr) {
    std::vector<std::string> dirs = runDirs_[id];
    for (int round = 0; round < 10; ++round) {
      std::vector<int> pidfds;
      for (const auto& dir : dirs) {
        for (pid_t pid : pidsIn(dir)) pidfds.push_back(openPidfd(pid));
      }
      RunCgroups::Cleanup cleanup = cgroups_->cleanupRun(id);
      if (processesSeen && round == 0) *processesSeen = cleanup.processesSeen;
      for (int fd : pidfds) {
        if (fd >= 0) waitPidfd(fd, std::chrono::seconds(5));
        if (fd >= 0) ::close(fd);
      }
      reapAllChildren();  // what the job left was re-parented to this subreaper
      if (cleanup.removed) return true;
    }
    return false;
  }

  // createRun, remembering the run for TearDown.
  std::vector<std::string> create(uint64_t id, uint32_t pidsMax, uint64_t memoryMax) {
    Result<std::vector<std::string>> dirs = cgroups_->createRun(id, pidsMax, memoryMax);
    EXPECT_TRUE(dirs.ok()) << dirs.error();
    if (!dirs) return {};
    EXPECT_FALSE(dirs->empty());
    runDirs_[id] = *dirs;
    return *dirs;
  }

  std::string pidsDir(const std::vector<std::string>& dirs) {
    for (const auto& dir : dirs) {
      if (exists(dir + "/pids.max")) return dir;
    }
    ADD_FAILURE() << "no pids cgroup among the run's";
    return "";
  }

  WorkerRun runShell(const std::string& script, const std::vector<std::string>& dirs) {
    RunSpec spec = shellJob(script, dir_.path());
    spec.cgroupDirs = dirs;
    return runWorker(buildRunRequest(spec));
  }

  TempDir dir_;
  std::unique_ptr<RunCgroups> cgroups_;
  std::map<uint64_t, std::vector<std::string>> runDirs_;
};

// PID's start in clock ticks since boot (/proc/PID/stat, field 22).
long long startTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    if (index == 22) return std::stoll(field);
  }
  return -1;
}

// The base RunCgroups names for process PID: checker-runs-PID.TICKS.
std::string baseOf(pid_t pid) { return "checker-runs-" + std::to_string(pid) + "." + std::to_string(startTicks(pid)); }

TEST_F(RunCgroupsTest, DetectPreparesABaseForThisProcess) {
  std::string base = baseOf(::getpid());
  EXPECT_THAT(cgroups_->describe(), ::testing::MatchesRegex("cgroup v[12] \\(pids, memory\\) under .*" + base + ".*"));
  auto dirs = create(1, 0, 0);
  ASSERT_EQ(dirs.size(), cgroups_->mode() == RunCgroups::Mode::v1 ? 2u : 1u);
  for (const auto& dir : dirs) {
    EXPECT_TRUE(exists(dir)) << dir;
    EXPECT_THAT(nameOf(dir), ::testing::MatchesRegex("slot-[0-9]+"));
    EXPECT_EQ(nameOf(parentOf(dir)), base);
  }
  EXPECT_TRUE(cleanUp(1));
  EXPECT_EQ(cgroups_->idleSlots(), 1u);
  // Gone with the supervisor's RunCgroups, idle slots and base alike.
  cgroups_.reset();
  runDirs_.clear();
  for (const auto& dir : dirs) {
    EXPECT_FALSE(exists(dir)) << dir;
    EXPECT_FALSE(exists(parentOf(dir))) << parentOf(dir);
  }
}

TEST_F(RunCgroupsTest, AReleasedSlotIsReusedEmptyWithTheNextRunsLimits) {
  auto first = create(2, 10, 128 << 20);
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(cleanUp(2));
  // Each run in turn gets the one idle slot: lower, higher, unlimited,
  // limited, unlimited again, lower (v1 needs its two memory limits written in the
  // right order each way).
  const uint64_t kMiB = 1 << 20;
  uint64_t id = 3;
  for (uint64_t memory : {64 * kMiB, 512 * kMiB, uint64_t{0}, 256 * kMiB, uint64_t{0}, 32 * kMiB}) {
    auto dirs = create(id, static_cast<uint32_t>(20 + id), memory);
    ASSERT_EQ(dirs, first) << "the idle slot was not reused for " << memory;
    EXPECT_EQ(cgroups_->idleSlots(), 0u);
    EXPECT_EQ(readText(pidsDir(dirs) + "/pids.max"), std::to_string(20 + id) + "\n");
    for (const auto& dir : dirs) {
      std::string limit = readText(dir + "/memory.max") + readText(dir + "/memory.limit_in_bytes");
      if (limit.empty()) continue;  // the pids hierarchy of v1
      if (memory == 0) {
        EXPECT_THAT(limit, ::testing::AnyOf("max\n", "9223372036854771712\n")) << dir;
      } else {
        EXPECT_EQ(limit, std::to_string(memory) + "\n") << dir;
      }
      EXPECT_THAT(pidsIn(dir), ::testing::IsEmpty()) << dir;
    }
    ASSERT_TRUE(cleanUp(id++));
  }
  // Two runs at once never share a slot.
  auto busy = create(id++, 10, 0);
  auto other = create(id++, 10, 0);
  ASSERT_FALSE(other.empty());
  EXPECT_NE(busy, other);
}

TEST_F(RunCgroupsTest, WorkerJoinsTheRunCgroups) {
  auto dirs = create(11, 64, 256 << 20);
  ASSERT_FALSE(dirs.empty());
  WorkerRun run = runShell("cat /proc/self/cgroup | tr '\\n' ' '", dirs);
  auto result = resultOf(run);
  EXPECT_EQ(result.getOutcome(), ipc::Outcome::OK);
  std::string seen = result.getMessage().cStr();
  std::string suffix = "/" + baseOf(::getpid()) + "/" + nameOf(dirs.front()) + " ";
  size_t count = 0;
  for (size_t at = seen.find(suffix); at != std::string::npos; at = seen.find(suffix, at + 1)) ++count;
  EXPECT_EQ(count, dirs.size()) << seen;
  EXPECT_FALSE(cgroups_->runHitMemoryLimit(11));
  int seenProcesses = -1;
  EXPECT_TRUE(cleanUp(11, &seenProcesses));
  EXPECT_EQ(seenProcesses, 0) << "nothing of a finished run should be left";
}

TEST_F(RunCgroupsTest, PidsLimitHoldsAForkBomb) {
  auto dirs = create(12, 20, 0);
  ASSERT_FALSE(dirs.empty());
  // setsid: the sleepers leave the job's process group, so only the cgroup
  // still holds them after the job ends.
  WorkerRun run =
      runShell("for i in $(seq 200); do setsid sleep 30 </dev/null >/dev/null 2>&1 & done; wait", dirs);
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.stderrText;
  EXPECT_NE(run.reply, nullptr) << run.replyError;
  std::string pids = pidsDir(dirs);
  size_t left = pidsIn(pids).size();
  EXPECT_GE(left, 1u) << "the job should have left sleepers behind";
  EXPECT_LE(left, 20u);
  EXPECT_THAT(readText(pids + "/pids.events"), ::testing::MatchesRegex("max [1-9][0-9]*\n"))
      << "no fork was refused";
  int killed = 0;
  EXPECT_TRUE(cleanUp(12, &killed));
  // Some of those counted may have been on their way out already (the job's
  // process group is killed when its shell ends); the sleepers were not.
  EXPECT_GE(killed, 1);
  EXPECT_LE(static_cast<size_t>(killed), left);
  for (const auto& dir : dirs) EXPECT_THAT(pidsIn(dir), ::testing::IsEmpty()) << dir;
}

TEST_F(RunCgroupsTest, MemoryLimitKillsTheJobAndIsReported) {
  auto dirs = create(13, 0, 96 << 20);
  ASSERT_FALSE(dirs.empty());
  // dd fills a 256 MiB buffer: far over the 96 MiB limit.
  WorkerRun run = runShell("exec dd if=/dev/zero of=/dev/null bs=256M count=1", dirs);
  if (cgroups_->mode() == RunCgroups::Mode::v1) {
    // v1 OOM-kills one process (dd); the worker reports it.
    auto result = resultOf(run);
    EXPECT_EQ(result.getOutcome(), ipc::Outcome::FAILED);
    EXPECT_STREQ(result.getMessage().cStr(), "killed by signal 9 (SIGKILL)");
  } else {
    // v2 with memory.oom.group kills the whole run, worker included.
    EXPECT_TRUE(WIFSIGNALED(run.status) && WTERMSIG(run.status) == SIGKILL) << run.status;
  }
  EXPECT_TRUE(cgroups_->runHitMemoryLimit(13));
  EXPECT_TRUE(cleanUp(13));
  EXPECT_TRUE(cgroups_->runHitMemoryLimit(13)) << "forgotten once the slot was released";
  // The next run in the same slot starts with a clean record.
  auto next = create(16, 0, 96 << 20);
  ASSERT_EQ(next, dirs) << "the slot was not reused";
  EXPECT_FALSE(cgroups_->runHitMemoryLimit(16)) << "the previous run's OOM kill counted for this one";
  WorkerRun quiet = runShell("true", next);
  EXPECT_EQ(resultOf(quiet).getOutcome(), ipc::Outcome::OK);
  EXPECT_TRUE(cleanUp(16));
  EXPECT_FALSE(cgroups_->runHitMemoryLimit(16));
}

// A killed process that nobody has reaped yet (here the test's child; in
// checkerd, a job's orphan waiting for init) has left cgroup.procs but still
// counts in pids.current. Reused at once, the slot gave the next run fewer
// processes than its limit: a run with `processes = 32` could not even fork
// its command ("fork(...): Resource temporarily unavailable"). Found by
// checker-bench-soak. Such a slot is removed, and the next run gets a fresh one.
TEST_F(RunCgroupsTest, ASlotStillChargedForUnreapedProcessesIsNotReused) {
  auto dirs = create(17, 4, 0);
  ASSERT_FALSE(dirs.empty());
  std::string pids = pidsDir(dirs);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    _exit(writeText(pids + "/cgroup.procs", std::to_string(::getpid())) ? 0 : 1);
  }
  int childFd = openPidfd(child);
  ASSERT_TRUE(waitPidfd(childFd, std::chrono::seconds(5)));  // exited; not reaped: a zombie
  ::close(childFd);
  EXPECT_THAT(pidsIn(pids), ::testing::IsEmpty());
  ASSERT_EQ(readText(pids + "/pids.current"), "1\n") << "the zombie should still be charged";

  RunCgroups::Cleanup cleanup = cgroups_->cleanupRun(17);
  EXPECT_TRUE(cleanup.removed);
  runDirs_.erase(17);
  EXPECT_EQ(cgroups_->idleSlots(), 0u) << "a charged slot went back to the idle ones";
  for (const auto& dir : dirs) EXPECT_FALSE(exists(dir)) << dir;
  auto next = create(18, 4, 0);
  ASSERT_FALSE(next.empty());
  EXPECT_NE(next, dirs);
  EXPECT_EQ(readText(pidsDir(next) + "/pids.current"), "0\n");
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not join the slot";
}

// A base named with its owner's start ticks is kept while that very
// process lives, whatever the wall clock did since (it once stepped forward
// on a VM and another checkerd's sweep took a live supervisor's runs for
// stale); one naming a live pid with other ticks (a reused pid) is swept.
TEST_F(RunCgroupsTest, SweepStaleTellsTheOwnerByItsStartNotByTheWallClock) {
  auto dirs = create(15, 0, 0);
  ASSERT_FALSE(dirs.empty());
  std::vector<std::string> owned, reused;
  for (const auto& dir : dirs) {
    std::string parent = parentOf(parentOf(dir));
    owned.push_back(parent + "/" + baseOf(::getppid()));
    reused.push_back(parent + "/checker-runs-" + std::to_string(::getppid()) + "." +
                     std::to_string(startTicks(::getppid()) + 1));
    ASSERT_EQ(::mkdir(owned.back().c_str(), 0755), 0) << owned.back();
    ASSERT_EQ(::mkdir(reused.back().c_str(), 0755), 0) << reused.back();
  }
  cgroups_->sweepStale();
  for (const auto& base : owned) EXPECT_TRUE(exists(base)) << "swept a live supervisor's " << base;
  for (const auto& base : reused) EXPECT_FALSE(exists(base)) << "kept a base of a pid now someone else's: " << base;
  for (const auto& base : owned) ::rmdir(base.c_str());
}

TEST_F(RunCgroupsTest, SweepStaleRemovesALeftoverRunWithALiveProcess) {
  auto dirs = create(14, 0, 0);
  ASSERT_FALSE(dirs.empty());
  // Beside our base: one left by a supervisor that is gone (a pid above any
  // pid_max can never be alive) and one of a live, older process.
  std::vector<std::string> stale, live;
  for (const auto& dir : dirs) {
    std::string parent = parentOf(parentOf(dir));
    stale.push_back(parent + "/checker-runs-4194305");
    live.push_back(parent + "/checker-runs-" + std::to_string(::getppid()));
    ASSERT_EQ(::mkdir(stale.back().c_str(), 0755), 0) << stale.back();
    ASSERT_EQ(::mkdir((stale.back() + "/run-1").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(live.back().c_str(), 0755), 0) << live.back();
  }
  pid_t sleeper = ::fork();
  ASSERT_GE(sleeper, 0);
  if (sleeper == 0) {
    char* argv[] = {const_cast<char*>("/bin/sleep"), const_cast<char*>("60"), nullptr};
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  int sleeperFd = openPidfd(sleeper);
  for (const auto& base : stale) EXPECT_TRUE(writeText(base + "/run-1/cgroup.procs", std::to_string(sleeper)));

  int removed = cgroups_->sweepStale();

  // run-1 and its base, per hierarchy (more if an earlier test run crashed)
  EXPECT_GE(removed, static_cast<int>(2 * stale.size()));
  for (const auto& base : stale) EXPECT_FALSE(exists(base)) << base;
  for (const auto& base : live) EXPECT_TRUE(exists(base)) << "swept a live supervisor's " << base;
  for (const auto& dir : dirs) EXPECT_TRUE(exists(dir)) << "swept our own " << dir;
  EXPECT_TRUE(waitPidfd(sleeperFd, std::chrono::seconds(1))) << "the sleeper survived";
  int status = 0;
  ASSERT_EQ(::waitpid(sleeper, &status, 0), sleeper);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ::close(sleeperFd);
  for (const auto& base : live) ::rmdir(base.c_str());
  for (const auto& base : stale) ::rmdir((base + "/run-1").c_str()), ::rmdir(base.c_str());
}

TEST_F(RunCgroupsTest, CleanupOfAnUnknownRunIsHarmlessAndRepeatable) {
  for (int i = 0; i < 2; ++i) {
    RunCgroups::Cleanup cleanup = cgroups_->cleanupRun(999);
    EXPECT_EQ(cleanup.processesSeen, 0);
    EXPECT_TRUE(cleanup.removed);
  }
  EXPECT_FALSE(cgroups_->runHitMemoryLimit(999));
}

TEST_F(RunCgroupsTest, CreatingARunTwiceFails) {
  auto dirs = create(15, 10, 0);
  ASSERT_FALSE(dirs.empty());
  Result<std::vector<std::string>> again = cgroups_->createRun(15, 10, 0);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "run 15 already has its cgroups");
  for (const auto& dir : dirs) EXPECT_TRUE(exists(dir)) << "the first run's " << dir;
}

}  // namespace
}  // namespace checker::test
