// The worker's sandbox, observed from inside a real job: an exec job runs a
// shell script whose first output line (the run's message) says what it
// sees of itself and of the worker ($PPID).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker::test {
namespace {

class WorkerSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    becomeSubreaper();
    ::chmod(dir_.path().c_str(), 0755);  // reachable after a drop to nobody
  }
  void TearDown() override { reapAllChildren(); }

  // Runs SPEC; expects a reply and exit 0; returns the run.
  WorkerRun run(const RunSpec& spec, const SpawnOptions& options = {}) {
    WorkerRun result = runWorker(buildRunRequest(spec), options);
    EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0)
        << "status " << result.status << "; stderr: " << result.stderrText;
    return result;
  }

  // The message of an exec job running SCRIPT, after ADJUST changed the spec.
  template <typename Adjust>
  std::string messageOf(const std::string& script, Adjust adjust) {
    RunSpec spec = shellJob(script, dir_.path());
    adjust(spec);
    WorkerRun result = run(spec);
    auto job = resultOf(result);
    EXPECT_EQ(job.getOutcome(), ipc::Outcome::OK) << job.getMessage().cStr() << "\n" << job.getDetails().cStr();
    return job.getMessage().cStr();
  }
  std::string messageOf(const std::string& script) {
    return messageOf(script, [](RunSpec&) {});
  }

  TempDir dir_;
};

TEST_F(WorkerSandbox, JobStartsInTheWorkDir) {
  char real[PATH_MAX];
  ASSERT_NE(::realpath(dir_.path().c_str(), real), nullptr);
  EXPECT_EQ(messageOf("pwd -P"), real);
}

TEST_F(WorkerSandbox, EnvironmentIsCleared) {
  // What /proc shows of the worker's environment: bytes other than NUL (none:
  // the block is wiped), and all bytes (zero only where the worker has
  // CAP_SYS_RESOURCE to shrink the block; not on every test machine).
  std::string seen = messageOf(
      "printf 'worker_env=%s/%s job_env=%s\\n' \"$(tr -d '\\000' < /proc/$PPID/environ | wc -c)\" "
      "\"$(wc -c < /proc/$PPID/environ)\" \"$(env | sort | tr '\\n' ' ')\"");
  EXPECT_EQ(seen.rfind("worker_env=0/", 0), 0u) << seen;
  EXPECT_EQ(seen.find("CHECKER_TEST_LEAK"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("HOME="), std::string::npos) << seen;
}

TEST_F(WorkerSandbox, InheritedDescriptorsAreClosed) {
  std::string marker = dir_.write("fd-marker", "x");
  int fd = ::open(marker.c_str(), O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 42), 42);
  std::string seen = messageOf(
      "n=$(for f in /proc/$PPID/fd/* /proc/self/fd/*; do readlink \"$f\"; done | grep -c fd-marker); "
      "echo \"marker=$n fd42=$(test -e /proc/$PPID/fd/42 && echo open || echo closed) "
      "stdin=$(readlink /proc/$PPID/fd/0)\"");
  ::close(42);
  ::close(fd);
  EXPECT_EQ(seen, "marker=0 fd42=closed stdin=/dev/null");
}

TEST_F(WorkerSandbox, RlimitsAreApplied) {
  std::string seen = messageOf(
      "echo \"n=$(ulimit -n) N=$(ulimit -H -n) f=$(ulimit -f) c=$(ulimit -c) t=$(ulimit -t) T=$(ulimit -H -t)\"",
      [](RunSpec& spec) {
        spec.cpuSeconds = 7;
        spec.openFiles = 37;
        spec.fileSizeBytes = 1 << 20;  // dash counts 512-byte blocks: 2048
      });
  EXPECT_EQ(seen, "n=37 N=37 f=2048 c=0 t=7 T=8");  // CPU: hard = soft + 1
}

TEST_F(WorkerSandbox, AddressSpaceLimitIsApplied) {
  // A sanitizer's runtime reserves terabytes of address space up front, so
  // an address-space limit leaves a sanitized worker no room to allocate.
  if (sanitizedBuild()) GTEST_SKIP() << "RLIMIT_AS cannot bind a sanitized worker";
  std::string seen = messageOf("echo \"v=$(ulimit -v) V=$(ulimit -H -v)\"",
                               [](RunSpec& spec) { spec.memoryBytes = uint64_t{1} << 30; });
  EXPECT_EQ(seen, "v=1048576 V=1048576");  // KiB
}

TEST_F(WorkerSandbox, ZeroLimitsLeaveInheritedValues) {
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  rlimit cpu{};
  ASSERT_EQ(::getrlimit(RLIMIT_CPU, &cpu), 0);
  ASSERT_EQ(cpu.rlim_cur, RLIM_INFINITY) << "the test expects no CPU limit on itself";
  std::string seen = messageOf("echo \"n=$(ulimit -n) t=$(ulimit -t) c=$(ulimit -c)\"");
  EXPECT_EQ(seen, "n=" + std::to_string(files.rlim_cur) + " t=unlimited c=0");  // never core files
}

TEST_F(WorkerSandbox, NoNewPrivsIsSet) {
  std::string seen = messageOf(
      "echo \"worker=$(grep NoNewPrivs /proc/$PPID/status | cut -f2) job=$(grep NoNewPrivs /proc/self/status | cut -f2)\"");
  EXPECT_EQ(seen, "worker=1 job=1");
}

// A uid of this test's own: RLIMIT_NPROC counts every process of the uid
// on the machine, and other tests' jobs (fork bombs included) run as nobody.
TEST_F(WorkerSandbox, PrivilegesAreDroppedToTheJobUser) {
  if (!runningAsRoot()) GTEST_SKIP() << "dropping privileges needs root";
  const std::string id = std::to_string(61000 + ::getpid() % 1000);
  std::string seen = messageOf(
      "echo \"uid=$(id -u) gid=$(id -g) groups=$(id -G) nproc=$(ulimit -p) "
      "worker=$(grep '^Uid:' /proc/$PPID/status | tr -s '\\t ' ' ')\"",
      [&](RunSpec& spec) {
        spec.dropPrivileges = true;
        spec.runUid = spec.runGid = static_cast<uint32_t>(std::stoul(id));
        spec.useNprocLimit = true;  // as without a pids cgroup
        spec.processes = 50;
      });
  EXPECT_EQ(seen, "uid=" + id + " gid=" + id + " groups=" + id + " nproc=50 worker=Uid: " + id + " " + id + " " + id +
                      " " + id);
}

TEST_F(WorkerSandbox, NprocLimitOnlyWhenAskedFor) {
  rlimit processes{};
  ASSERT_EQ(::getrlimit(RLIMIT_NPROC, &processes), 0);
  std::string inherited =
      processes.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(processes.rlim_cur);
  // processes is set, but a pids cgroup is meant to hold it: no RLIMIT_NPROC.
  std::string seen = messageOf("echo \"nproc=$(ulimit -p)\"", [](RunSpec& spec) { spec.processes = 50; });
  EXPECT_EQ(seen, "nproc=" + inherited);
}

TEST_F(WorkerSandbox, WorkerMakesItsOwnSession) {
  // Started inside the test's session and process group (no setsid before
  // exec): the worker must leave it on its own.
  SpawnOptions options;
  options.ownSession = false;
  WorkerRun result = run(shellJob("echo \"sid=$(cut -d' ' -f6 /proc/$PPID/stat) pgid=$(cut -d' ' -f5 /proc/$PPID/stat)\"",
                                  dir_.path()),
                         options);
  std::string pid = std::to_string(result.pid);
  EXPECT_STREQ(resultOf(result).getMessage().cStr(), ("sid=" + pid + " pgid=" + pid).c_str());
}

TEST_F(WorkerSandbox, LongDetailsAreCappedInTheReply) {
  RunSpec spec = shellJob("head -c 100000 /dev/zero | tr '\\0' x; echo; exit 2", dir_.path());
  WorkerRun result = run(spec);
  auto job = resultOf(result);
  EXPECT_EQ(job.getOutcome(), ipc::Outcome::FAILED);
  EXPECT_LE(job.getMessage().size(), 1024u);
  EXPECT_LE(job.getDetails().size(), 16u * 1024);
  std::string details = job.getDetails().cStr();
  EXPECT_EQ(details.substr(details.size() - 11), "[truncated]");
}

TEST_F(WorkerSandbox, PluginJobLoadsAndRunsInsideTheSandbox) {
  RunSpec spec;
  spec.type = "ExampleCheck";
  spec.params = {{"path", dir_.path()}, {"max_age", "3600"}};
  spec.pluginDir = CHECKER_PLUGIN_DIR;
  spec.workDir = dir_.path();
  spec.dropPrivileges = runningAsRoot();
  spec.cpuSeconds = 10;
  spec.openFiles = 64;
  spec.memoryBytes = sanitizedBuild() ? 0 : uint64_t{1} << 30;
  WorkerRun result = run(spec);
  auto job = resultOf(result);
  EXPECT_EQ(job.getOutcome(), ipc::Outcome::OK) << job.getMessage().cStr();
  EXPECT_THAT(std::string(job.getMessage().cStr()),
              ::testing::MatchesRegex(dir_.path() + " is [0-9]+ s old"));
}

TEST_F(WorkerSandbox, PluginFailureCarriesItsNotice) {
  RunSpec spec;
  spec.type = "ExampleCheck";
  spec.params = {{"path", dir_.file("missing")}};
  spec.pluginDir = CHECKER_PLUGIN_DIR;
  spec.workDir = dir_.path();
  WorkerRun result = run(spec);
  auto job = resultOf(result);
  EXPECT_EQ(job.getOutcome(), ipc::Outcome::FAILED);
  std::string message = dir_.file("missing") + ": No such file or directory";
  EXPECT_EQ(std::string(job.getMessage().cStr()), message);
  ASSERT_TRUE(job.hasFailureNotice());
  EXPECT_EQ(std::string(job.getFailureNotice().getSubject().cStr()), "[test-server] " + message);
  EXPECT_FALSE(job.hasRecoveryNotice());
}

}  // namespace
}  // namespace checker::test
