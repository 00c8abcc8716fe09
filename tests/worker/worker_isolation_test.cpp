// A run's isolation (worker/sandbox_namespaces.cpp, sandbox_capabilities.cpp),
// observed from inside real exec jobs run by a real worker as root, dropped
// to nobody: its scratch /tmp, /var/tmp and /dev/shm are its own, capped,
// and gone after it; the rest of the file system is read-only but for the
// paths it was granted; it sees only its own processes; and it holds
// exactly the capabilities it asked for (check_ping needs net_raw).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker::test {
namespace {

using ::testing::HasSubstr;

const char kCheckPing[] = "/usr/lib/nagios/plugins/check_ping";

class WorkerIsolation : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!runningAsRoot()) GTEST_SKIP() << "namespaces and the drop to the job user need root";
    becomeSubreaper();
    ::chmod(dir_.path().c_str(), 0755);
    name_ = "checker-isolation-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    reapAllChildren();
    for (const char* dir : {"/tmp/", "/var/tmp/", "/dev/shm/"}) ::unlink((dir + name_).c_str());
  }

  RunSpec isolated(const std::string& script) {
    RunSpec spec = shellJob(script, dir_.path());
    spec.isolate = true;
    spec.dropPrivileges = true;
    return spec;
  }

  ipc::Outcome outcomeOf(const RunSpec& spec, std::string* message = nullptr) {
    WorkerRun run = runWorker(buildRunRequest(spec));
    EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.status << " " << run.stderrText;
    auto result = resultOf(run);
    if (message != nullptr) *message = std::string(result.getMessage().cStr()) + "\n" + result.getDetails().cStr();
    return result.getOutcome();
  }

  static bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }

  TempDir dir_;
  std::string name_;
};

TEST_F(WorkerIsolation, ScratchFilesAreGoneAfterTheRun) {
  std::string message;
  ASSERT_EQ(outcomeOf(isolated("set -e; for d in /tmp /var/tmp /dev/shm; do echo x > $d/" + name_ +
                               "; done; ls /tmp/" + name_ + " /var/tmp/" + name_ + " /dev/shm/" + name_),
                      &message),
            ipc::Outcome::OK)
      << message;
  for (const char* dir : {"/tmp/", "/var/tmp/", "/dev/shm/"}) EXPECT_FALSE(exists(dir + name_)) << dir << name_;
  // Nor does the next run find them.
  EXPECT_EQ(outcomeOf(isolated("test ! -e /tmp/" + name_ + " && test ! -e /dev/shm/" + name_), &message),
            ipc::Outcome::OK)
      << message;
}

// The machine's /tmp shows through, read as it is: a checker built or
// unpacked under /tmp, a plugin or a file a job is told to read there, are
// still found. Only what the run writes is its own.
TEST_F(WorkerIsolation, TheMachinesTmpIsReadableAndWritesToItStayInTheRun) {
  std::string visible = "/tmp/" + name_ + "-visible";
  ASSERT_TRUE(static_cast<bool>(std::ofstream(visible) << "from the machine\n"));
  ::chmod(visible.c_str(), 0666);  // writable by the job user: on the machine it could change it
  std::string message;
  EXPECT_EQ(outcomeOf(isolated("set -e; grep -q 'from the machine' " + visible + "; echo changed > " + visible +
                               "; grep -q changed " + visible),
                      &message),
            ipc::Outcome::OK)
      << message;
  std::ifstream after(visible);
  std::string line;
  EXPECT_TRUE(std::getline(after, line));
  EXPECT_EQ(line, "from the machine") << "the run's write stayed in the run";
  ::unlink(visible.c_str());
}

TEST_F(WorkerIsolation, WritingPastTheScratchCapFailsTheRunAndLeavesNothing) {
  RunSpec spec = isolated("set -e; head -c 3000000 /dev/zero > /dev/shm/" + name_ + "; head -c 3000000 /dev/zero > /tmp/" +
                          name_ + "; echo wrote it all");
  spec.scratchBytes = 4ull << 20;  // the two files share it: 6 MB do not fit
  std::string message;
  EXPECT_EQ(outcomeOf(spec, &message), ipc::Outcome::FAILED) << message;
  EXPECT_THAT(message, HasSubstr("No space left on device"));
  for (const char* dir : {"/tmp/", "/dev/shm/"}) EXPECT_FALSE(exists(dir + name_)) << dir << name_;
}

// A directory a run's writes reach: outside /tmp (whose writes stay in the
// run). Removed with what is in it.
class OutsideDir {
 public:
  OutsideDir() {
    // Not under /tmp or /var/tmp, whose writes stay in the run (the build
    // tree may be under /tmp): these tests run as root, so in /var/lib.
    std::string pattern = "/var/lib/checker-isolation-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    ::chmod(path_.c_str(), 0777);
  }
  ~OutsideDir() {
    if (path_.empty()) return;
    for (const char* name : {"/granted", "/not-granted"}) ::unlink((path_ + name).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(WorkerIsolation, TheFileSystemIsReadOnlyButForGrantedPaths) {
  OutsideDir granted, other;
  ASSERT_FALSE(granted.path().empty() || other.path().empty());
  RunSpec spec = isolated("touch " + granted.path() + "/granted; touch " + other.path() + "/not-granted");
  spec.writablePaths = {granted.path()};
  std::string message;
  EXPECT_EQ(outcomeOf(spec, &message), ipc::Outcome::FAILED) << message;  // the last touch failed
  EXPECT_THAT(message, HasSubstr("Read-only file system"));
  EXPECT_FALSE(exists(other.path() + "/not-granted"));  // 0777: only the mount kept it out
  EXPECT_TRUE(exists(granted.path() + "/granted"));
}

TEST_F(WorkerIsolation, AGrantThatCannotBeMadeFailsTheRun) {
  RunSpec spec = isolated("echo ran");
  spec.writablePaths = {"/nonexistent/checker-isolation-grant"};
  std::string message;
  EXPECT_EQ(outcomeOf(spec, &message), ipc::Outcome::FAILED) << message;
  EXPECT_THAT(message, HasSubstr("sandbox: namespaces: open_tree(writable_paths /nonexistent/checker-isolation-grant)"));
}

TEST_F(WorkerIsolation, ARunSeesOnlyItsOwnProcesses) {
  // This test process is on the machine; a run must not see it in /proc.
  std::string message;
  EXPECT_EQ(outcomeOf(isolated("test ! -e /proc/" + std::to_string(::getpid()) + " && ls /proc | grep -c '^[0-9]'"),
                      &message),
            ipc::Outcome::OK)
      << message;
  int processes = std::atoi(message.c_str());
  EXPECT_GT(processes, 0);
  EXPECT_LE(processes, 6) << message;  // init, worker, the shell and its commands
}

TEST_F(WorkerIsolation, CheckPingWorksWithNetRawAndOnlyWithIt) {
  if (::access(kCheckPing, X_OK) != 0) GTEST_SKIP() << kCheckPing << " is not installed (monitoring-plugins-basic)";
  std::string command = std::string(kCheckPing) + " -H 127.0.0.1 -w 100,20% -c 200,40% -p 1";
  RunSpec without = isolated(command);
  std::string message;
  EXPECT_EQ(outcomeOf(without, &message), ipc::Outcome::FAILED) << message;
  RunSpec with = isolated(command + "; grep CapAmb /proc/self/status");
  with.capabilities = {"net_raw"};
  EXPECT_EQ(outcomeOf(with, &message), ipc::Outcome::OK) << message;
  EXPECT_THAT(message, HasSubstr("PING OK"));
  // Exactly CAP_NET_RAW (bit 13), nothing else.
  RunSpec caps = isolated("grep -E 'Cap(Prm|Eff|Amb)' /proc/self/status | tr '\\n' ' '");
  caps.capabilities = {"net_raw"};
  EXPECT_EQ(outcomeOf(caps, &message), ipc::Outcome::OK) << message;
  EXPECT_THAT(message, HasSubstr("CapPrm:\t0000000000002000 CapEff:\t0000000000002000 CapAmb:\t0000000000002000"));
}

TEST_F(WorkerIsolation, AnUnknownCapabilityFailsTheRun) {
  RunSpec spec = isolated("echo ran");
  spec.capabilities = {"sys_admin"};
  std::string message;
  EXPECT_EQ(outcomeOf(spec, &message), ipc::Outcome::FAILED) << message;
  EXPECT_THAT(message, HasSubstr("sandbox: capabilities: unknown capability 'sys_admin'"));
}

}  // namespace
}  // namespace checker::test
