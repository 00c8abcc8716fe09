#pragma once
// Runs a libuv loop until a condition holds or a time limit passes, for
// tests that wait on real children or sockets driven by that loop.
#include <uv.h>

#include <chrono>
#include <functional>

namespace checker::test {

// Runs LOOP until DONE holds or LIMIT passes (DONE checked every 5 ms).
// Returns whether DONE held.
inline bool runLoopUntil(uv_loop_t* loop, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  uv_timer_t check;
  uv_timer_init(loop, &check);
  check.data = loop;
  uv_timer_start(&check, [](uv_timer_t* t) { uv_stop(static_cast<uv_loop_t*>(t->data)); }, 5, 5);
  bool met = done();
  while (!met && std::chrono::steady_clock::now() < deadline) {
    uv_run(loop, UV_RUN_DEFAULT);
    met = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return met;
}

}  // namespace checker::test
