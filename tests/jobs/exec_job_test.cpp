// The exec job with scripts written by the test: the Nagios exit codes,
// output handling, signals, the deadline and the child's environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <fstream>

#include "job_test_support.h"
#include "jobs/run_job.h"

namespace checker {
namespace {

using test::contextWithin;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ExecJobTest : public ::testing::Test {
 protected:
  // Writes an executable script NAME with BODY (after the #! line).
  std::string script(const std::string& name, const std::string& body) {
    return dir_.write(name, "#!/bin/sh\n" + body + "\n", 0700);
  }
  JobRunOutcome run(const std::string& command, bool shell = false,
                    std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    return runJob("exec", {{"command", command}, {"shell", shell ? "yes" : "no"}}, contextWithin(deadline),
                  "/nonexistent");
  }
  // True once PID is gone or a zombie waiting for init. SIGKILL is
  // delivered asynchronously, so this waits up to 5 s for it to take effect.
  static bool processGone(const std::string& pid) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
      std::ifstream stat("/proc/" + pid + "/stat");
      std::string line;
      if (!std::getline(stat, line)) return true;
      size_t paren = line.rfind(')');
      if (paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'Z') return true;
      ::poll(nullptr, 0, 10);  // retry interval of a bounded wait
    } while (std::chrono::steady_clock::now() < until);
    return false;
  }

  test::TempDir dir_;
};

struct ExitCase {
  int code;
  const char* line;
  bool ok;
  const char* message;
};

TEST_F(ExecJobTest, NagiosExitCodes) {
  const ExitCase cases[] = {
      {0, "DISK OK - free space: / 50%", true, "DISK OK - free space: / 50%"},
      {1, "disk almost full", false, "WARNING: disk almost full"},
      {2, "DISK CRITICAL - free space: / 2%", false, "DISK CRITICAL - free space: / 2%"},
      {3, "cannot tell", false, "UNKNOWN: cannot tell"},
      {7, "something odd", false, "exit status 7: something odd"},
  };
  for (const ExitCase& c : cases) {
    std::string path = script("exit" + std::to_string(c.code), "echo '" + std::string(c.line) + "'\nexit " +
                                                                    std::to_string(c.code));
    JobRunOutcome out = run(path);
    EXPECT_EQ(out.ok, c.ok) << c.code;
    EXPECT_EQ(out.message, c.message) << c.code;
    EXPECT_EQ(out.details, std::string(c.line) + "\n") << c.code;
  }
}

TEST_F(ExecJobTest, NoOutput) {
  EXPECT_EQ(run(script("w", "exit 1")).message, "WARNING (exit status 1, no output)");
  EXPECT_EQ(run(script("x", "exit 9")).message, "exit status 9, no output");
  JobRunOutcome out = run(script("ok", "exit 0"));
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.message, "OK (exit status 0, no output)");
}

TEST_F(ExecJobTest, FirstLineIsTheMessageWithoutPerformanceData) {
  JobRunOutcome out = run(script("multi", "echo 'LOAD WARNING - load 7.1 | load1=7.1;5;10'\n"
                                          "echo 'second line'\necho 'on stderr' >&2\nexit 1"));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "LOAD WARNING - load 7.1");
  EXPECT_THAT(out.details, HasSubstr("second line\n"));
  EXPECT_THAT(out.details, HasSubstr("on stderr\n"));
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, "LOAD WARNING - load 7.1");
  EXPECT_EQ(out.failureNotice->body, out.details);
}

// A plugin's performance data, on its first line and in its long output,
// are the run's named numbers.
TEST_F(ExecJobTest, PerformanceDataAreTheRunsNamedNumbers) {
  JobRunOutcome out = run(script("perf", "echo \"DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\"\n"
                                         "echo '/ 15272 MB (77%);'\n"
                                         "echo \"/boot 68 MB (69%); | /boot=68MB;88;93;0;98\"\n"
                                         "echo \"'time taken'=0.12s;1;2\"\nexit 0"));
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "DISK OK - free space: / 3326 MB (56%);");
  ASSERT_EQ(out.measurements.size(), 3u);
  EXPECT_EQ(out.measurements[0].name, "/");
  EXPECT_EQ(out.measurements[0].value, 2643);
  EXPECT_EQ(out.measurements[0].unit, "MB");
  EXPECT_EQ(out.measurements[0].crit, "5958");
  EXPECT_EQ(out.measurements[0].max, "5968");
  EXPECT_EQ(out.measurements[1].name, "/boot");
  EXPECT_EQ(out.measurements[2].name, "time taken");
  EXPECT_EQ(out.measurements[2].value, 0.12);
  EXPECT_EQ(out.measurements[2].unit, "s");
}

// Output cut at the 64 KiB cap is read to its last whole line: a number
// cut in two is no figure.
TEST_F(ExecJobTest, PerformanceDataOfCutOutputStopAtTheLastWholeLine) {
  JobRunOutcome out = run(script("cut", "echo 'OK | first=1'\nhead -c 65511 /dev/zero | tr '\\0' x\n"
                                        "echo\necho '| second=123456789'\nexit 0"));
  ASSERT_TRUE(out.ok) << out.message;
  ASSERT_EQ(out.measurements.size(), 1u) << "the cut 'second=12...' is left out";
  EXPECT_EQ(out.measurements[0].name, "first");
}

TEST_F(ExecJobTest, KilledBySignal) {
  JobRunOutcome out = run(script("term", "echo about to die\nkill -TERM $$"));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "killed by signal 15 (SIGTERM)");
  EXPECT_EQ(out.details, "about to die\n");
}

TEST_F(ExecJobTest, DeadlineKillsTheWholeGroup) {
  std::string pidFile = dir_.file("sleeper.pid");
  std::string path = script("slow", "sleep 30 &\necho $! > " + pidFile + "\necho started\nwait");
  auto start = std::chrono::steady_clock::now();
  JobRunOutcome out = run(path, false, std::chrono::milliseconds(500));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, StartsWith("did not finish before the run's deadline; killed after "));
  EXPECT_EQ(out.details, "started\n");
  std::string pid;
  std::ifstream(pidFile) >> pid;
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(processGone(pid)) << "background sleep " << pid << " survived";
}

TEST_F(ExecJobTest, LeftoverBackgroundProcessDoesNotHoldTheRun) {
  std::string pidFile = dir_.file("bg.pid");
  // The background sleep keeps the output pipe open; the run ends anyway
  // when the script exits, and the sleep is killed with its group.
  std::string path = script("bg", "sleep 30 &\necho $! > " + pidFile + "\necho done here\nexit 0");
  auto start = std::chrono::steady_clock::now();
  JobRunOutcome out = run(path, false, std::chrono::seconds(20));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "done here");
  std::string pid;
  std::ifstream(pidFile) >> pid;
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(processGone(pid)) << "background sleep " << pid << " survived";
}

TEST_F(ExecJobTest, LargeOutputIsCappedAndDoesNotHang) {
  // 2.4 MB of output: far more than a pipe holds; the child must not block.
  std::string path = script("chatty", "echo first line\nyes 'a line of output' | head -n 120000\nexit 0");
  JobRunOutcome out = run(path);
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "first line");
  EXPECT_THAT(out.details, EndsWith("\n[output truncated after 64 KiB]"));
  EXPECT_EQ(out.details.size(), 64 * 1024 + std::string("\n[output truncated after 64 KiB]").size());
}

TEST_F(ExecJobTest, ShellRunsAPipeline) {
  JobRunOutcome out = run("echo all quiet | tr a-z A-Z; exit 0", true);
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "ALL QUIET");
}

TEST_F(ExecJobTest, WithoutShellArgumentsAreSplitNotExpanded) {
  JobRunOutcome out = run("/bin/echo 'two  words' \"$HOME\" *");
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "two  words $HOME *");
}

TEST_F(ExecJobTest, ChildGetsAMinimalEnvironmentAndNoInput) {
  ::setenv("CHECKER_TEST_SECRET", "leaked", 1);
  JobRunOutcome out = run(script("env", "read line; echo \"PATH=$PATH LC_ALL=$LC_ALL SECRET=$CHECKER_TEST_SECRET "
                                        "HOME=$HOME read=$?\""));
  ::unsetenv("CHECKER_TEST_SECRET");
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C SECRET= HOME= read=1");
}

TEST_F(ExecJobTest, ChildGetsOnlyThreeFileDescriptors) {
  int leaked = ::dup(2);  // not close-on-exec
  JobRunOutcome out = run("/bin/ls /proc/self/fd");
  ::close(leaked);
  EXPECT_TRUE(out.ok) << out.message;
  // ls's own directory handle is the 4th entry.
  EXPECT_EQ(out.details, "0\n1\n2\n3\n");
}

TEST_F(ExecJobTest, ProgramThatCannotRun) {
  JobRunOutcome out = run(dir_.file("missing") + " --flag");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "could not run the command: execve(" + dir_.file("missing") + "): No such file or directory");
  std::string notExecutable = dir_.write("plain", "#!/bin/sh\nexit 0\n", 0600);
  EXPECT_THAT(run(notExecutable).message, HasSubstr("Permission denied"));
}

TEST_F(ExecJobTest, RelativeProgramIsRefused) {
  JobRunOutcome out = run("echo hello");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "the program must be an absolute path: echo hello");
  EXPECT_EQ(run("/bin/echo 'unbalanced").message.rfind("cannot split command: ", 0), 0u);
}

TEST_F(ExecJobTest, IgnoredAndBlockedSignalsAreNotInherited) {
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  sigset_t block, oldMask;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &oldMask);
  // Shell builtins only: the shell reads its own status, with no fork (dash
  // blocks every signal for a moment around a fork).
  JobRunOutcome out = run(script("sigs", "while read k v; do case $k in SigBlk:|SigIgn:) printf '%s=%s ' $k $v;; esac; "
                                         "done < /proc/self/status"));
  ::sigprocmask(SIG_SETMASK, &oldMask, nullptr);
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.message, "SigBlk:=0000000000000000 SigIgn:=0000000000000000");
}

}  // namespace
}  // namespace checker
