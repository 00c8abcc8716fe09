#pragma once
// The two clocks the supervisor reads, behind one interface so the run
// engine can be driven by a fake one in tests. Wall time (Unix ms) is what
// schedules, state and mails are written in; monotonic time measures how
// long something took and notices a stepped wall clock.
#include <uv.h>

#include <cstdint>

#include "common/clock.h"

namespace checker {

class Clock {
 public:
  virtual int64_t wallMs() = 0;
  virtual uint64_t monoMs() = 0;

 protected:
  ~Clock() = default;
};

// The daemon's: the system's wall clock and the loop's cached monotonic time
// (uv_now; the loop refreshes it on each iteration).
class LoopClock final : public Clock {
 public:
  explicit LoopClock(uv_loop_t* loop) : loop_(loop) {}
  int64_t wallMs() override { return wallClockNowMs(); }
  uint64_t monoMs() override { return uv_now(loop_); }

 private:
  uv_loop_t* loop_;
};

}  // namespace checker
