#pragma once
// Reads a worker's reply into the run's observation. The one place that
// looks inside a run reply: it checks the message kind (a run must answer
// with a result, not a description), that the worker reported only what a
// worker may report (ok or failed), and caps the message to one line.
#include <optional>
#include <string>

#include "supervisor/alert_text.h"
#include "supervisor/worker_run.h"

namespace checker {

struct ReplyFacts {
  std::optional<ComposedNotice> failureNotice;
  std::optional<ComposedNotice> recoveryNotice;
};

// Fills report.observation's job fields from the reply, or downgrades the
// reply state (malformed, wrongKind) when it is not acceptable.
ReplyFacts interpretReply(WorkerRunReport& report);

// The first line of TEXT, capped at 1 KiB: one event, one line.
std::string firstLineOf(const std::string& text);

}  // namespace checker
