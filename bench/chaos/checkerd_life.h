#pragma once
// One life of checkerd under checker-bench-chaos: started, checked (it
// reaches "scheduling" with no error about the state in its log, and
// `checker status --json` reads the state), then killed with SIGKILL
// together with its whole tree at the chosen moment, or stopped with
// SIGTERM for the final drain.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/daemon_process.h"

namespace checker::bench {

struct LifeOptions {
  std::string binDir;      // build/bin: checkerd, checker
  std::string configPath;
  std::string logPath;     // each life's log lines are appended here
  int number = 0;          // for the log file's separators
};

struct StartCheck {
  bool ready = false;         // "scheduling" seen
  double readyMs = 0;         // from the spawn
  bool statusOk = false;      // `checker status --json` read the state
  std::string statusProblem;  // why not
  std::vector<std::string> stateErrors;  // error lines about the state, before "scheduling"
};

struct KillFacts {
  bool byUs = false;             // checkerd died of our SIGKILL (not of its own accord before it)
  std::string howItEnded;        // "exit status 111", "signal 11", ...
  size_t processes = 0;          // in the tree when killed
  double goneMs = 0;             // until none of them was alive
  std::vector<int> survivors;    // still alive after 5 s
};

class CheckerdLife {
 public:
  explicit CheckerdLife(LifeOptions options);
  ~CheckerdLife();
  CheckerdLife(const CheckerdLife&) = delete;
  CheckerdLife& operator=(const CheckerdLife&) = delete;

  // Waits for "scheduling" until UNTIL (from the spawn); when it came, checks the start.
  StartCheck awaitStart(std::chrono::milliseconds until);
  // Reads the log until AT (from the spawn).
  void runUntil(std::chrono::milliseconds at);
  // Waits up to TIMEOUT for a new log line containing NEEDLE.
  bool awaitLine(const std::string& needle, std::chrono::milliseconds timeout);
  // SIGKILL to the process group and every descendant, then waits.
  KillFacts killTree();
  // SIGTERM; true when checkerd exited 0 within TIMEOUT.
  bool stop(std::chrono::milliseconds timeout);

  double sinceSpawnMs() const;
  int pid() const { return daemon_->pid(); }
  // Error lines of the whole life ("error:"), and those about the state.
  std::vector<std::string> errorLines() const;
  std::vector<std::string> stateErrorLines() const;
  bool exited();

 private:
  void saveLog();

  LifeOptions options_;
  std::chrono::steady_clock::time_point spawned_;
  std::unique_ptr<test::DaemonProcess> daemon_;
  bool saved_ = false;
  bool reaped_ = false;
};

// Runs `checker status --json -c CONFIG`; "" when it read the state (exit 0
// or 1, "state_error" empty), else what was wrong. *PENDING: outbox.pending.
std::string checkStatus(const std::string& binDir, const std::string& configPath, long* pending = nullptr);

// A line checkerd or a child logged at level error that is about the state.
bool isStateError(const std::string& line);

}  // namespace checker::bench
