#pragma once
// How long to wait before restarting a long-lived child that died (the
// worker launcher, the mailer): from 100 ms, doubling while it keeps dying
// young, at most 10 s; a child that lived a minute starts the sequence
// again. Pure, so both children restart alike.
#include <algorithm>
#include <cstdint>

namespace checker {

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
