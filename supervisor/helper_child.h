#pragma once
// What checkerd's long-lived helper children (the worker launcher, the
// mailer) have in common: how they are spawned, how their end is told in
// the log, and how long to wait before restarting one that died.
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace checker {

// The descriptor a helper child finds its control socket on.
inline constexpr int kHelperControlFd = 3;

// uv_spawn of PATH with ARGS (argv[0] included), an empty environment,
// /dev/null as stdin and stdout, our stderr (its log lines go where ours
// go), CONTROL_FD as fd 3, and its own session (a Ctrl-C meant for checkerd
// in a terminal must not reach it before the supervisor's graceful stop).
// Returns uv_spawn's code; the caller closes CONTROL_FD either way.
int spawnHelperChild(uv_loop_t* loop, uv_process_t* process, const std::string& path,
                     const std::vector<std::string>& args, int controlFd, uv_exit_cb onExit);

// "exited with status 1" or "was killed by signal 9 (Killed)".
std::string describeChildEnd(int64_t status, int signal);

// The restart delay: from 100 ms, doubling while the child keeps dying
// young, at most 10 s; a child that lived a minute starts again from 100 ms.

class ChildBackoff {
 public:
  static constexpr uint64_t kFirstMs = 100;
  static constexpr uint64_t kMaxMs = 10'000;
  static constexpr uint64_t kStableMs = 60'000;

  // The delay after a child that ran LIVED_MS died.
  uint64_t afterExit(uint64_t livedMs) {
    delayMs_ = livedMs >= kStableMs ? kFirstMs : std::clamp(delayMs_ * 2, kFirstMs, kMaxMs);
    return delayMs_;
  }
  // The delay after a restart that failed to spawn at all.
  uint64_t afterFailedStart() {
    delayMs_ = std::clamp(delayMs_ * 2, kFirstMs, kMaxMs);
    return delayMs_;
  }
  uint64_t delayMs() const { return delayMs_; }

 private:
  uint64_t delayMs_ = 0;
};

}  // namespace checker
