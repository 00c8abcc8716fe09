#pragma once
// The one place the worker reads the supervisor's message (STYLE.md, "Do
// this" 2): exactly one framed WorkerRequest on stdin, at most
// kMaxRequestBytes, read with ipc::readMessage's limits and checked against
// the schema; its kind must be one the worker answers (run, describe).
// Anything else is a bad request: the worker writes one line on stderr and
// exits with kExitBadRequest, without a reply.
#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"
#include "ipc/framing.h"
#include "ipc/job.capnp.h"

namespace checker::worker {

inline constexpr size_t kMaxRequestBytes = 1 << 20;

// The message (its root<ipc::WorkerRequest>() is safe to read), or an Error
// saying why not, on one line.
Result<std::unique_ptr<ipc::DecodedMessage>> readRequest(int fd);

}  // namespace checker::worker
