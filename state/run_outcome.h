#pragma once
// How a finished worker run is classified (pure: facts in, outcome out).
//
//   timed_out       the supervisor killed the process group at its deadline,
//                   or the job reported that it gave up at the run's deadline
//   limit           SIGXCPU (CPU limit), or SIGKILL while the run's memory
//                   cgroup recorded an OOM kill; for the worker itself or for
//                   the job's own process (an exec job's command)
//   crashed         any other signal, of the worker or the job's process
//   protocol_error  no reply, a malformed, oversize or unexpected one, extra
//                   bytes after it, a non-zero exit, or no worker at all. A
//                   bad reply wins over the SIGKILL that it earned the worker.
//   ok / failed     the worker's reply, when nothing above applies
#include <cstdint>
#include <string>

#include "ipc/job.capnp.h"

namespace checker {

enum class ReplyState { none, ok, malformed, oversize, extraBytes, wrongKind };

struct RunObservation {
  bool spawned = true;          // false: the worker could not be started
  std::string spawnError;
  int64_t exitStatus = 0;       // when the worker exited normally
  int termSignal = 0;           // when a signal ended the worker
  bool killedAtDeadline = false;
  bool memoryLimitHit = false;  // the run's memory cgroup saw an OOM kill
  uint32_t timeoutMs = 0;
  uint32_t cpuSeconds = 0;
  ReplyState reply = ReplyState::none;
  std::string replyError;       // why the reply was refused
  // From a valid reply:
  bool jobOk = false;
  std::string jobMessage;
  int jobSignal = 0;            // the job's own process died of this signal
  bool jobDeadlineExceeded = false;  // the job itself gave up at the deadline
  std::string stderrExcerpt;    // first line of the worker's stderr, if any
};

struct ClassifiedRun {
  ipc::Outcome outcome = ipc::Outcome::PROTOCOL_ERROR;
  int signal = 0;
  std::string message;
};

ClassifiedRun classifyRun(const RunObservation& run);

// "SIGSEGV" for 11, "signal 77" for unknown numbers.
std::string signalName(int signal);

// "ok", "failed", "crashed", "timed_out", "limit", "protocol_error".
const char* outcomeName(ipc::Outcome outcome);

}  // namespace checker
