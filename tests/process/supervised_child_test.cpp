// SupervisedChild (process/supervised_child.h) with real processes
// (/bin/sh; only shell builtins, for its environment is empty): how it is
// started (a clean environment, the control socket on fd 3, our pid as
// --parent-pid), an asked-for restart made at once, a death restarted after
// the backoff, a program that cannot be spawned. The backoff's own rule:
// tests/supervisor/restart_backoff_test.cpp.
#include "process/supervised_child.h"
#include "support/run_loop_until.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace checker {
namespace {

using namespace std::chrono_literals;


// What the owner heard, in order.
struct Heard {
  UniqueFd control;
  std::vector<std::pair<bool, uint64_t>> starts;  // (restarted, restartDelayMs then)
  int exits = 0;
};

SupervisedChild::Options shell(const std::string& script) {
  SupervisedChild::Options options;
  options.name = "test child";
  options.path = "/bin/sh";
  options.args = {"sh", "-c", script};  // --parent-pid=PID becomes $0
  options.spawnLabel = "/bin/sh";
  options.stableMs = 60'000;
  return options;
}

SupervisedChild::Events recordInto(Heard& heard, SupervisedChild*& child) {
  return {[&heard, &child](UniqueFd control, bool restarted) {
            heard.control = std::move(control);
            heard.starts.emplace_back(restarted, child->restartDelayMs());
          },
          [&heard] { ++heard.exits; }};
}

// Everything the child wrote to its end before closing it, read with a bound.
std::string readAll(int fd, std::chrono::milliseconds limit) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return text + "<timeout>";
    char buffer[256];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

TEST(SupervisedChild, StartsItWithACleanEnvironmentItsSocketOnFdThreeAndOurPid) {
  ::setenv("CHECKER_SUPERVISED_CHILD_TEST", "leaked", 1);
  uv_loop_t loop;
  uv_loop_init(&loop);
  Heard heard;
  SupervisedChild* self = nullptr;
  SupervisedChild child(&loop, shell("printf '%s %s' \"$0\" \"${CHECKER_SUPERVISED_CHILD_TEST-unset}\" >&3"),
                        recordInto(heard, self));
  self = &child;
  Result<> started = child.start();
  ASSERT_TRUE(started.ok()) << started.error();
  ASSERT_EQ(heard.starts.size(), 1u);
  EXPECT_FALSE(heard.starts[0].first);
  EXPECT_GT(child.pid(), 0);
  std::string said = readAll(heard.control.get(), 5s);
  EXPECT_EQ(said, "--parent-pid=" + std::to_string(::getpid()) + " unset");
  EXPECT_TRUE(test::runLoopUntil(&loop, [&] { return heard.exits == 1; }, 5s));
  child.stop();
  heard.control.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  ::unsetenv("CHECKER_SUPERVISED_CHILD_TEST");
}

TEST(SupervisedChild, AnAskedRestartIsMadeAtOnceAndADeathAfterTheBackoff) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Heard heard;
  SupervisedChild* self = nullptr;
  // Lives until its socket closes, then fails.
  SupervisedChild child(&loop, shell("read x <&3; exit 1"), recordInto(heard, self));
  self = &child;
  ASSERT_TRUE(child.start().ok());

  child.restartSoon();
  heard.control.reset();  // it reads end-of-file and exits, as asked
  ASSERT_TRUE(test::runLoopUntil(&loop, [&] { return heard.starts.size() == 2; }, 5s));
  heard.control.reset();  // now it dies unasked
  ASSERT_TRUE(test::runLoopUntil(&loop, [&] { return heard.starts.size() == 3; }, 5s));

  EXPECT_EQ(heard.exits, 2);
  EXPECT_EQ(child.restarts(), 2u);
  ASSERT_EQ(heard.starts.size(), 3u);
  EXPECT_EQ(heard.starts[0], std::make_pair(false, uint64_t{0}));
  EXPECT_EQ(heard.starts[1], std::make_pair(true, uint64_t{0})) << "asked for: no backoff";
  EXPECT_EQ(heard.starts[2], std::make_pair(true, RestartBackoff::kFirstMs));
  child.stop();
  heard.control.reset();
  uv_run(&loop, UV_RUN_DEFAULT);  // until the last one exited and every handle closed
  EXPECT_EQ(heard.exits, 3);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(SupervisedChild, AProgramThatCannotBeSpawnedIsAnErrorNamingIt) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Heard heard;
  SupervisedChild* self = nullptr;
  SupervisedChild::Options options = shell("");
  options.path = "/nonexistent/checker-nothing";
  options.spawnLabel = options.path;
  SupervisedChild child(&loop, options, recordInto(heard, self));
  self = &child;
  Result<> started = child.start();
  EXPECT_FALSE(started.ok());
  EXPECT_EQ(started.error().rfind("uv_spawn(/nonexistent/checker-nothing): ", 0), 0u) << started.error();
  EXPECT_TRUE(heard.starts.empty());
  EXPECT_FALSE(child.running());
  child.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace checker
