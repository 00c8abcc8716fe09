#pragma once
// Reads a worker's reply into the run's observation. The one place that
// looks inside a run reply: it checks the message kind (a run must answer
// with a result, not a description), that the worker reported only what a
// worker may report (ok or failed), and makes every text in it (message,
// notices) valid UTF-8 without control characters, capped on a code point
// boundary (common/utf8_text.h): from here on, text that came from a job is
// fit for JSON, HTML, mail and a terminal.
#include <optional>
#include <string>
#include <string_view>

#include "state/run_measurements.h"
#include "worker_runs/worker_run.h"

namespace checker {

// A line of text from a job or a peer (message, subject) is kept to this.
inline constexpr size_t kMaxLineBytes = 1024;

// The subject and body of a notice as the job composed it (its
// onFailure()/onStateChangeSuccess()), cleaned.
struct ComposedNotice {
  std::string subject;
  std::string body;
};

struct ReplyFacts {
  std::optional<ComposedNotice> failureNotice;
  std::optional<ComposedNotice> recoveryNotice;
  RunMeasurements measured;  // what the job measured: bounded, values finite
};

// Fills report.observation's job fields from the reply, or downgrades the
// reply state (malformed, wrongKind) when it is not acceptable.
ReplyFacts interpretReply(WorkerRunReport& report);
// The same for one JobResult (a probe's, from a probe worker): fills OBS's
// job fields, or marks its reply wrongKind. Does not throw.
ReplyFacts interpretResult(ipc::JobResult::Reader result, RunObservation& obs);

// The first line of TEXT (a job's message, a worker's stderr), cleaned and
// capped at 1 KiB: one event, one line.
std::string firstLineOf(std::string_view text);

}  // namespace checker
