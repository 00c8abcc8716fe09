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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

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

}  // namespace
}  // namespace checker::test
