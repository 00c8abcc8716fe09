#include "process/restart_backoff.h"

#include <algorithm>

namespace checker {

uint64_t RestartBackoff::exited(uint64_t nowMs) {
  // Stayed up long enough: whatever came before is history.
  if (livedMs(nowMs) >= stableMs_) delayMs_ = 0;
  return failedStart();
}

uint64_t RestartBackoff::failedStart() {
  delayMs_ = std::clamp(delayMs_ * 2, kFirstMs, kMaxMs);
  return delayMs_;
}

}  // namespace checker
