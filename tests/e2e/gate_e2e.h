#pragma once
// What the notice gate's end-to-end tests share (notice_gate_e2e_test,
// notice_gate_quiet_e2e_test): a tcp job section, and `checker status
// --json` polled until it says what the test waits for.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/run_command.h"

namespace checker::test {

// A tcp job on 127.0.0.1:PORT run every second, mailed on each change of state.
inline std::string tcpJob(const std::string& name, uint16_t port, const std::string& extra = "") {
  return "[job " + name + "]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(port) +
         "\nevery = 1s\ntimeout = 1s\nnotify = state_change\n" + extra;
}

// `checker status --json -c CONFIG` once PREDICATE holds for it, or its
// last answer after TIMEOUT (the state is written within a loop turn of an
// event; there is no event to wait on but the file, so this polls).
template <typename Predicate>
nlohmann::json statusWhen(const std::string& config, Predicate predicate, std::chrono::milliseconds timeout) {
  nlohmann::json status;
  for (auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
    CommandResult r = runCommand(std::string(CHECKER_BIN_DIR) + "/checker status --json -c " + config);
    status = nlohmann::json::parse(r.output, nullptr, false);
    if (!status.is_discarded() && predicate(status)) break;
  }
  return status;
}

// The job NAME of a `checker status --json` answer; nullptr when absent.
inline const nlohmann::json* jobIn(const nlohmann::json& status, const std::string& name) {
  if (!status.is_object() || !status["jobs"].is_array()) return nullptr;
  for (const nlohmann::json& j : status["jobs"]) {
    if (j["name"] == name) return &j;
  }
  return nullptr;
}

}  // namespace checker::test
