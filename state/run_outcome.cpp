#include "state/run_outcome.h"

#include <csignal>
#include <cstring>

namespace checker {
namespace {

// Signals that mean a resource limit, given what the run's cgroup saw.
bool isLimitSignal(int signal, bool memoryLimitHit) {
  return signal == SIGXCPU || signal == SIGXFSZ || (signal == SIGKILL && memoryLimitHit);
}

std::string limitMessage(int signal, const RunObservation& run, const char* whose) {
  if (signal == SIGXCPU) return std::string(whose) + " reached its CPU limit of " + std::to_string(run.cpuSeconds) + " s";
  if (signal == SIGXFSZ) return std::string(whose) + " reached its file size limit";
  return std::string(whose) + " was killed by its memory limit";
}

ClassifiedRun fromSignal(int signal, const RunObservation& run, const char* whose) {
  if (isLimitSignal(signal, run.memoryLimitHit)) return {ipc::Outcome::LIMIT, signal, limitMessage(signal, run, whose)};
  std::string message = std::string(whose) + " was killed by " + signalName(signal);
  return {ipc::Outcome::CRASHED, signal, message};
}

std::string replyProblem(const RunObservation& run) {
  switch (run.reply) {
    case ReplyState::none: return "the worker exited without a result";
    case ReplyState::malformed: return "malformed result: " + run.replyError;
    case ReplyState::oversize: return "oversize result: " + run.replyError;
    case ReplyState::extraBytes: return "bytes after the result";
    case ReplyState::wrongKind: return "result of the wrong kind: " + run.replyError;
    case ReplyState::ok: break;
  }
  return "";
}

}  // namespace

ClassifiedRun classifyRun(const RunObservation& run) {
  if (!run.spawned) return {ipc::Outcome::PROTOCOL_ERROR, 0, "could not start the worker: " + run.spawnError};
  if (run.killedAtDeadline) {
    return {ipc::Outcome::TIMED_OUT, SIGKILL,
            "no result before the deadline (" + std::to_string(run.timeoutMs) + " ms): process group killed"};
  }
  // A refused reply made us kill the worker: its SIGKILL is not a crash.
  bool badReply = run.reply != ReplyState::ok && run.reply != ReplyState::none;
  if (run.termSignal != 0 && !badReply) return fromSignal(run.termSignal, run, "the worker");
  if (run.reply != ReplyState::ok) {
    std::string message = replyProblem(run);
    if (run.exitStatus != 0) message += " (exit status " + std::to_string(run.exitStatus) + ")";
    if (!run.stderrExcerpt.empty()) message += ": " + run.stderrExcerpt;
    return {ipc::Outcome::PROTOCOL_ERROR, 0, message};
  }
  if (run.exitStatus != 0) {
    return {ipc::Outcome::PROTOCOL_ERROR, 0, "the worker exited with status " + std::to_string(run.exitStatus) + " after its result"};
  }
  if (run.jobDeadlineExceeded) return {ipc::Outcome::TIMED_OUT, 0, run.jobMessage};
  if (run.jobSignal != 0) {
    ClassifiedRun c = fromSignal(run.jobSignal, run, "the job's process");
    if (!run.jobMessage.empty()) c.message += ": " + run.jobMessage;
    return c;
  }
  return {run.jobOk ? ipc::Outcome::OK : ipc::Outcome::FAILED, 0, run.jobMessage};
}

std::string signalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  if (abbrev == nullptr) return "signal " + std::to_string(signal);
  return std::string("SIG") + abbrev;
}

const char* outcomeName(ipc::Outcome outcome) {
  switch (outcome) {
    case ipc::Outcome::OK: return "ok";
    case ipc::Outcome::FAILED: return "failed";
    case ipc::Outcome::CRASHED: return "crashed";
    case ipc::Outcome::TIMED_OUT: return "timed_out";
    case ipc::Outcome::LIMIT: return "limit";
    case ipc::Outcome::PROTOCOL_ERROR: return "protocol_error";
  }
  return "unknown";
}

}  // namespace checker
