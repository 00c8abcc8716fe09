#pragma once
// The worker's one reply: a WorkerReply on stdout, with its texts capped so
// a chatty job can never make the reply oversize for the supervisor's reader
// (ipc::kDefaultMaxFrameBytes).
#include <capnp/message.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "ipc/job.capnp.h"
#include "jobs/run_job.h"

namespace checker::worker {

inline constexpr size_t kMaxMessageBytes = 1024;        // JobResult.message, a notice's subject
inline constexpr size_t kMaxDetailsBytes = 16 * 1024;   // JobResult.details, a notice's body

// At most MAX bytes of TEXT, cut at a UTF-8 character boundary.
std::string capText(std::string_view text, size_t max);
// The first line of TEXT, capped at kMaxMessageBytes.
std::string messageLine(std::string_view text);

// RESULT as a failed run saying MESSAGE.
void setFailed(ipc::JobResult::Builder result, std::string_view message);
// RESULT from what the job reported.
void setOutcome(ipc::JobResult::Builder result, const JobRunOutcome& outcome);

// Writes MESSAGE on FD. SIGPIPE is ignored from here on, so a supervisor
// that is gone shows as an error (EPIPE), not as our death by signal.
// An Error when the reply could not be written.
Result<> writeReply(int fd, capnp::MessageBuilder& message);

}  // namespace checker::worker
