// The worker dies with the supervisor (PR_SET_PDEATHSIG), also after it
// dropped its privileges (which clears the death signal: it must re-arm it).
//
// An intermediate process (a fork of this test, standing in for the
// supervisor) starts the worker; the job tells the test through a FIFO that
// it runs; the test SIGKILLs the intermediate and waits, bounded, for the
// worker's exit. This process is a child subreaper, so the orphaned worker
// comes back to it and is reaped here.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support/proc_scan.h"
#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker::test {
namespace {

class WorkerParentDeath : public ::testing::Test {
 protected:
  void SetUp() override {
    becomeSubreaper();
    ::chmod(dir_.path().c_str(), 0755);
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    reapAllChildren();
  }
  // Closed in TearDown, whatever path the test takes.
  int keep(int fd) {
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }
  void runParentDeath(bool dropPrivileges);

  TempDir dir_;
  std::vector<int> fds_;
};

void WorkerParentDeath::runParentDeath(bool dropPrivileges) {
  TempDir& dir = dir_;
  std::string fifo = dir.file("started");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  ::chmod(fifo.c_str(), 0666);
  int started = keep(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_GE(started, 0);
  int in[2], out[2], report[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  for (int fd : {in[0], in[1], out[0], out[1], report[0], report[1]}) keep(fd);

  RunSpec spec = shellJob("echo $$ > " + fifo + "; exec sleep 60", dir.path());
  spec.dropPrivileges = dropPrivileges;
  std::string request = buildRunRequest(spec);
  std::string binary = workerPath();

  pid_t middle = ::fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {  // the stand-in supervisor
    std::string flag = "--parent-pid=" + std::to_string(::getpid());
    pid_t worker = ::fork();
    if (worker == 0) {
      ::setsid();
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      char* argv[] = {binary.data(), flag.data(), nullptr};
      char* envp[] = {nullptr};
      ::execve(argv[0], argv, envp);
      ::_exit(127);
    }
    if (::write(report[1], &worker, sizeof worker) != sizeof worker) ::_exit(1);
    for (;;) ::pause();
  }
  pid_t worker = 0;
  ASSERT_EQ(::read(report[0], &worker, sizeof worker), static_cast<ssize_t>(sizeof worker));
  ASSERT_GT(worker, 0);
  int workerFd = keep(openPidfd(worker));
  ASSERT_GE(workerFd, 0);
  ASSERT_EQ(::write(in[1], request.data(), request.size()), static_cast<ssize_t>(request.size()));

  // The job runs once it wrote its pid into the FIFO.
  pollfd ready{started, POLLIN, 0};
  ASSERT_EQ(::poll(&ready, 1, 30'000), 1) << "the job never started";
  char text[32] = {};
  ASSERT_GT(::read(started, text, sizeof text - 1), 0);
  pid_t job = static_cast<pid_t>(std::atol(text));
  ASSERT_GT(job, 0);
  int jobFd = keep(openPidfd(job));
  ASSERT_GE(jobFd, 0);

  ASSERT_EQ(::kill(middle, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(middle, &status, 0), middle);

  EXPECT_TRUE(waitPidfd(workerFd, std::chrono::seconds(10))) << "the worker outlived its parent";
  // Re-parented to this subreaper: reap it and see how it ended.
  ASSERT_EQ(::waitpid(worker, &status, 0), worker);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  // The job's command has its own death signal (jobs/child_process.h).
  EXPECT_TRUE(waitPidfd(jobFd, std::chrono::seconds(10))) << "the job outlived the worker";
}

TEST_F(WorkerParentDeath, WorkerDiesWithItsParent) { runParentDeath(false); }

TEST_F(WorkerParentDeath, WorkerDiesWithItsParentAfterDroppingPrivileges) {
  if (!runningAsRoot()) GTEST_SKIP() << "dropping privileges needs root";
  runParentDeath(true);
}

// This process's children, from /proc (the test is single-threaded).
std::vector<pid_t> childrenOfThisProcess() {
  std::string self = std::to_string(::getpid());
  std::istringstream list(readProcFile("/proc/" + self + "/task/" + self + "/children"));
  std::vector<pid_t> children;
  for (pid_t pid; list >> pid;) children.push_back(pid);
  return children;
}

// Waits, bounded, until every child of this subreaper has exited, and
// reaps them. False when one is still alive after TIMEOUT.
bool everyChildExits(std::chrono::milliseconds timeout) {
  for (std::vector<pid_t> children; !(children = childrenOfThisProcess()).empty();) {
    for (pid_t child : children) {
      int fd = openPidfd(child);
      bool ended = fd < 0 || waitPidfd(fd, timeout);
      if (fd >= 0) ::close(fd);
      if (!ended) return false;
      while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  return true;
}

// A launcher SIGKILLed while it starts up (checkerd's restart test does
// exactly this) leaves nothing behind: the child that holds the shared
// namespace while it is made, the net zygote and the spares each die with
// it. Each attempt kills the launcher as soon as its first child exists.
TEST_F(WorkerParentDeath, ALauncherKilledWhileItStartsLeavesNoProcessBehind) {
  if (!runningAsRoot()) GTEST_SKIP() << "the launcher makes namespaces only as root";
  std::string binary = workerPath();
  std::string flag = "--parent-pid=" + std::to_string(::getpid());
  for (int attempt = 0; attempt < 20; ++attempt) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    keep(pair[0]);
    pid_t launcher = ::fork();
    ASSERT_GE(launcher, 0);
    if (launcher == 0) {
      if (::dup2(pair[1], 3) != 3) ::_exit(127);
      char launcherFlag[] = "--launcher";
      char* argv[] = {binary.data(), launcherFlag, flag.data(), nullptr};
      char* envp[] = {nullptr};
      ::execve(argv[0], argv, envp);
      ::_exit(127);
    }
    ::close(pair[1]);
    std::string children = "/proc/" + std::to_string(launcher) + "/task/" + std::to_string(launcher) + "/children";
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (readProcFile(children).empty() && std::chrono::steady_clock::now() < until) {
      // busy: the window is a few hundred microseconds wide
    }
    ASSERT_EQ(::kill(launcher, SIGKILL), 0);
    ASSERT_EQ(::waitpid(launcher, nullptr, 0), launcher);
    bool nothingLeft = everyChildExits(std::chrono::seconds(10));
    if (!nothingLeft) {
      std::vector<pid_t> left = childrenOfThisProcess();
      reapAllChildren();
      FAIL() << "attempt " << attempt << ": " << left.size() << " processes of the killed launcher are still alive";
    }
  }
}

}  // namespace
}  // namespace checker::test
