// What the worker does with what it is given: bad bytes, each request kind,
// and sandbox mechanisms that cannot be applied.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <capnp/message.h>

#include <csignal>

#include <cstdlib>
#include <string>

#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker::test {
namespace {

class WorkerProtocol : public ::testing::Test {
 protected:
  void SetUp() override {
    becomeSubreaper();
    ::chmod(dir_.path().c_str(), 0755);
  }
  void TearDown() override { reapAllChildren(); }

  // Runs with BYTES on stdin; expects exit 101, no reply and one line on stderr.
  void expectBadRequest(const std::string& bytes, const std::string& why) {
    WorkerRun run = runWorker(bytes);
    EXPECT_TRUE(WIFEXITED(run.status)) << run.status;
    EXPECT_EQ(WEXITSTATUS(run.status), 101) << run.stderrText;
    EXPECT_EQ(run.reply, nullptr);
    EXPECT_EQ(run.replyError, "EOF without a reply");
    EXPECT_NE(run.stderrText.find("bad request: " + why), std::string::npos) << run.stderrText;
    EXPECT_EQ(run.stderrText.find('\n'), run.stderrText.size() - 1) << "not one line: " << run.stderrText;
  }

  // Runs SPEC; expects exit 0 and a failed result; returns its message.
  std::string failedMessage(const RunSpec& spec) {
    WorkerRun run = runWorker(buildRunRequest(spec));
    EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.status << ": " << run.stderrText;
    auto result = resultOf(run);
    EXPECT_EQ(result.getOutcome(), ipc::Outcome::FAILED);
    return result.getMessage().cStr();
  }

  TempDir dir_;
};

TEST_F(WorkerProtocol, GarbageOnStdinIsABadRequest) {
  expectBadRequest("this is not a Cap'n Proto frame at all", "malformed request");
}

TEST_F(WorkerProtocol, EmptyStdinIsABadRequest) { expectBadRequest("", "no request"); }

TEST_F(WorkerProtocol, TruncatedRequestIsABadRequest) {
  std::string whole = buildRunRequest(shellJob("true", dir_.path()));
  expectBadRequest(whole.substr(0, whole.size() / 2), "malformed request");
}

TEST_F(WorkerProtocol, OversizeRequestIsRefusedBeforeItsBody) {
  // One segment of 2^20 words (8 MiB) announced; the body never comes.
  std::string table("\0\0\0\0\0\0\x10\0", 8);
  expectBadRequest(table, "malformed request");
}

TEST_F(WorkerProtocol, UnknownRequestKindIsABadRequest) {
  // A root whose first 16 bits (WorkerRequest's union tag) read 7.
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::Limits>().setTimeoutMs(7);
  expectBadRequest(ipc::encode(message), "unknown request kind 7");
}

TEST_F(WorkerProtocol, CommandLine) {
  // The only argument is --parent-pid=PID (and --version); anything else is
  // bad usage, before stdin is even looked at.
  EXPECT_EQ(std::system((workerPath() + " --parent-pid=x </dev/null 2>/dev/null").c_str()) >> 8, 100);
  EXPECT_EQ(std::system((workerPath() + " --frobnicate </dev/null 2>/dev/null").c_str()) >> 8, 100);
  EXPECT_EQ(std::system((workerPath() + " --version >/dev/null").c_str()) >> 8, 0);
}

TEST_F(WorkerProtocol, DescribeOfAPluginWithoutSpawnerIsTheSectionItself) {
  WorkerRun run = runWorker(buildDescribeRequest("ExampleCheck", std::string(CHECKER_BIN_DIR) + "/../plugins"));
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.stderrText;
  ASSERT_NE(run.reply, nullptr) << run.replyError;
  auto reply = run.reply->root<ipc::WorkerReply>();
  ASSERT_TRUE(reply.isDescription());
  auto description = reply.getDescription();
  EXPECT_STREQ(description.getError().cStr(), "");
  ASSERT_EQ(description.getJobs().size(), 1u);
  auto job = description.getJobs()[0];
  EXPECT_EQ(job.getIdentityArgs().size(), 0u);  // identity: the section
  ASSERT_EQ(job.getParams().size(), 1u);
  EXPECT_STREQ(job.getParams()[0].getValue().cStr(), "/etc/hostname");
  EXPECT_STREQ(job.getEvery().cStr(), "");  // ExampleCheck says: as configured
}

TEST_F(WorkerProtocol, DescribeOfAMissingPluginSaysWhy) {
  WorkerRun run = runWorker(buildDescribeRequest("NoSuchCheck", std::string(CHECKER_BIN_DIR) + "/../plugins"));
  ASSERT_NE(run.reply, nullptr) << run.replyError;
  auto description = run.reply->root<ipc::WorkerReply>().getDescription();
  EXPECT_THAT(std::string(description.getError().cStr()), ::testing::HasSubstr("NoSuchCheck.so"));
}

TEST_F(WorkerProtocol, ReplyCarriesTheSignalThatKilledTheJobsCommand) {
  WorkerRun run = runWorker(buildRunRequest(shellJob("kill -SEGV $$", dir_.path())));
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.stderrText;
  auto result = resultOf(run);
  EXPECT_EQ(result.getOutcome(), ipc::Outcome::FAILED);
  EXPECT_EQ(result.getSignal(), SIGSEGV);
  EXPECT_FALSE(result.getDeadlineExceeded());
}

TEST_F(WorkerProtocol, ReplySaysWhenTheJobGaveUpAtTheDeadline) {
  RunSpec spec = shellJob("exec sleep 30", dir_.path());
  spec.timeoutMs = 300;  // the deadline the worker hands the job: now + 0.3 s
  WorkerRun run = runWorker(buildRunRequest(spec));
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0) << run.stderrText;
  auto result = resultOf(run);
  EXPECT_EQ(result.getOutcome(), ipc::Outcome::FAILED);
  EXPECT_TRUE(result.getDeadlineExceeded()) << result.getMessage().cStr();
  EXPECT_EQ(result.getSignal(), 0);
}

TEST_F(WorkerProtocol, MissingCgroupDirFailsTheRun) {
  RunSpec spec = shellJob("echo should not run", dir_.path());
  std::string missing = dir_.file("no-such-cgroup");
  spec.cgroupDirs = {missing};
  EXPECT_EQ(failedMessage(spec),
            "sandbox: cgroup: open(" + missing + "/cgroup.procs): No such file or directory");
}

TEST_F(WorkerProtocol, MissingWorkDirFailsTheRun) {
  RunSpec spec = shellJob("echo should not run", dir_.file("gone"));
  EXPECT_EQ(failedMessage(spec), "sandbox: environment: chdir(" + dir_.file("gone") + "): No such file or directory");
}

TEST_F(WorkerProtocol, LimitThatCannotBeSetFailsTheRun) {
  if (!runningAsRoot()) GTEST_SKIP() << "needs root to drop privileges first";
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_max == RLIM_INFINITY || files.rlim_max >= UINT32_MAX) GTEST_SKIP() << "no finite hard limit";
  RunSpec spec = shellJob("echo should not run", dir_.path());
  spec.dropPrivileges = true;  // nobody cannot raise a hard limit
  spec.openFiles = static_cast<uint32_t>(files.rlim_max + 1);
  std::string value = std::to_string(files.rlim_max + 1);
  EXPECT_EQ(failedMessage(spec), "sandbox: rlimits: setrlimit(RLIMIT_NOFILE, " + value + "): Operation not permitted");
}

TEST_F(WorkerProtocol, RootAsTheRunUserFailsTheRun) {
  if (!runningAsRoot()) GTEST_SKIP() << "dropping privileges needs root";
  RunSpec spec = shellJob("echo should not run", dir_.path());
  spec.dropPrivileges = true;
  spec.runUid = 0;
  EXPECT_EQ(failedMessage(spec), "sandbox: privileges: runUid 0: refusing to run jobs as root");
}

TEST_F(WorkerProtocol, WorkerExitsWhenItsParentIsNotTheSupervisor) {
  // --parent-pid names a process that is not the worker's parent: as if the
  // supervisor had died before the death signal was armed. The worker must
  // not even read its request.
  std::string command = "echo unread | " + workerPath() + " --parent-pid=1 >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()) >> 8, 111);
}

}  // namespace
}  // namespace checker::test
