// Restart backoff of checkerd's long-lived children: the pure rule with a
// fake clock, then the two places that use it with real processes and a
// short stable time: a helper child (HelperChannel, as mailer and peerd;
// here /bin/sh) and the worker launcher (the real checker-worker). A child
// that stayed up for the stable time is restarted after the first delay
// again, not after a delay that only grows.
#include "process/restart_backoff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "supervisor/helper_channel.h"
#include "worker_runs/worker_launcher.h"
#include "support/temp_dir.h"
#include "support/run_loop_until.h"

namespace checker {
namespace {

using ::testing::ElementsAre;

TEST(RestartBackoff, DoublesWhileTheChildDiesYoungAndStartsOverOnceItStayedUp) {
  RestartBackoff backoff(60'000);
  uint64_t now = 1'000;  // the fake monotonic clock, in ms
  std::vector<uint64_t> delays;
  for (int i = 0; i < 9; ++i) {
    backoff.started(now);
    now += 50;  // dies young
    delays.push_back(backoff.exited(now));
    now += delays.back();
  }
  EXPECT_THAT(delays, ElementsAre(100, 200, 400, 800, 1600, 3200, 6400, 10'000, 10'000));
  backoff.started(now);
  now += 59'999;
  EXPECT_EQ(backoff.exited(now), 10'000u) << "a moment short of the stable time";
  backoff.started(now);
  now += 60'000;
  EXPECT_EQ(backoff.exited(now), 100u) << "stayed up for the stable time: from the first delay again";
  backoff.started(now);
  EXPECT_EQ(backoff.exited(now + 10), 200u);
  EXPECT_EQ(backoff.failedStart(), 400u) << "a failed spawn counts as dying young";
  EXPECT_EQ(RestartBackoff().stableMs(), 60'000u) << "the default: a minute";
}

constexpr uint64_t kStableMs = 400;


// HelperChannel starts PROGRAM -c CONFIG --parent-pid=N; with /bin/sh the
// "config" is the script. Each start counts itself in a file; the fourth
// stays up longer than the stable time, every other one exits at once.
struct Recorder final : HelperChannel::Listener {
  std::vector<uint64_t> delays;  // restartDelayMs() when each start was ready
  HelperChannel* channel = nullptr;
  void onChildReady(HelperChannel& child) override { delays.push_back(child.restartDelayMs()); }
  void onChildMessage(HelperChannel&, ipc::DecodedMessage&) override {}
  void onChildLost(HelperChannel&) override {}
};

TEST(RestartBackoffProcesses, AHelperChildThatStayedUpIsRestartedAfterTheFirstDelay) {
  test::TempDir dir;
  std::string count = dir.file("starts");
  std::string script = "n=0; [ -f " + count + " ] && read n < " + count + "; n=$((n+1)); echo $n > " + count +
                       "; [ $n = 4 ] && exec /bin/sleep 0.6; exit 1";
  uv_loop_t loop;
  uv_loop_init(&loop);
  Recorder recorder;
  HelperChannel channel(&loop, "fake-helper", "/bin/sh", script, &recorder, kStableMs);
  Result<> started = channel.start();
  ASSERT_TRUE(started.ok()) << started.error();
  bool six = test::runLoopUntil(&loop, [&] { return recorder.delays.size() >= 6; }, std::chrono::seconds(20));
  channel.stop();
  uv_run(&loop, UV_RUN_DEFAULT);  // until the last child exited and every handle closed
  EXPECT_EQ(uv_loop_close(&loop), 0);
  ASSERT_TRUE(six) << ::testing::PrintToString(recorder.delays);
  // Three young deaths double the delay; the fourth start lived 600 ms
  // (more than 400): its death is followed by the first delay again.
  EXPECT_THAT(recorder.delays, ElementsAre(0, 100, 200, 400, 100, 200));
}

TEST(RestartBackoffProcesses, AWorkerLauncherThatStayedUpIsRestartedAfterTheFirstDelay) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  // A launcher's start (its net zygote loads libcurl, it prepares the
  // shared namespace and its spares) may itself take a few hundred ms on a
  // busy machine: a "young" death must stay well inside the stable time.
  constexpr uint64_t kLauncherStableMs = 2000;
  WorkerLauncher launcher(&loop, std::string(CHECKER_BIN_DIR) + "/checker-worker", kLauncherStableMs);
  std::vector<uint64_t> delays;
  uv_timer_t later;
  uv_timer_init(&loop, &later);
  later.data = &launcher;
  launcher.setOnReady([&] {
    delays.push_back(launcher.restartDelayMs());
    if (delays.size() == 2) {
      // This one stays up past the stable time, then dies.
      uv_timer_start(&later, [](uv_timer_t* t) { ::kill(static_cast<WorkerLauncher*>(t->data)->pid(), SIGKILL); },
                     kLauncherStableMs + 200, 0);
    } else if (delays.size() < 4) {
      ::kill(launcher.pid(), SIGKILL);  // dies young
    }
  });
  Result<> started = launcher.start();
  ASSERT_TRUE(started.ok()) << started.error();
  ::kill(launcher.pid(), SIGKILL);
  bool four = test::runLoopUntil(&loop, [&] { return delays.size() >= 4; }, std::chrono::seconds(20));
  uv_close(reinterpret_cast<uv_handle_t*>(&later), nullptr);
  launcher.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  ASSERT_TRUE(four) << ::testing::PrintToString(delays);
  // Killed young: 100; young again: 200; then up for 2.2 s: 100, not 400.
  EXPECT_THAT(delays, ElementsAre(100, 200, 100, 200));
}

}  // namespace
}  // namespace checker
