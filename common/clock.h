#pragma once
// The wall clock in Unix milliseconds: what state, logs, mail dates and
// schedules are written in. One definition for every process.
#include <sys/time.h>

#include <cstdint>

namespace checker {

inline int64_t wallClockNowMs() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000 + tv.tv_usec / 1000;
}

}  // namespace checker
