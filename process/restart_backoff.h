#pragma once
// How long checkerd waits before restarting a long-lived child that died
// (the worker launcher, checker-mailer, checker-peerd): from 100 ms,
// doubling while the child keeps dying young, at most 10 s; once a child
// has stayed up for the stable time (60 s) the delay starts again from
// 100 ms, so a crash a day is not restarted as slowly as a crash loop.
// Pure: the caller passes the time (monotonic ms), so tests use a fake clock.
#include <cstdint>

namespace checker {

class RestartBackoff {
 public:
  static constexpr uint64_t kFirstMs = 100;
  static constexpr uint64_t kMaxMs = 10'000;
  static constexpr uint64_t kStableMs = 60'000;

  // STABLE_MS: how long a child must stay up for the delay to start over.
  explicit RestartBackoff(uint64_t stableMs = kStableMs) : stableMs_(stableMs) {}

  // The child is up since NOW_MS.
  void started(uint64_t nowMs) { startedMs_ = nowMs; }
  // How long the child that started last has been up at NOW_MS.
  uint64_t livedMs(uint64_t nowMs) const { return nowMs > startedMs_ ? nowMs - startedMs_ : 0; }
  // The child died at NOW_MS: the delay before starting it again.
  uint64_t exited(uint64_t nowMs);
  // Starting it again failed (it could not be spawned): the next delay.
  uint64_t failedStart();
  // The delay last returned (0 before any).
  uint64_t delayMs() const { return delayMs_; }
  uint64_t stableMs() const { return stableMs_; }

 private:
  uint64_t stableMs_;
  uint64_t startedMs_ = 0;
  uint64_t delayMs_ = 0;
};

}  // namespace checker
