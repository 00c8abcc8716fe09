#pragma once
// What the worker does with each kind of request, once it is read: enter
// the sandbox, then answer. Each fills the reply; neither throws.
#include <string>

#include "ipc/job.capnp.h"

namespace checker::worker {

// SESSION_ERROR: why the worker could not get its own session (empty when
// it did); a sandbox mechanism that failed, so the run fails with it.
void handleRun(ipc::JobRequest::Reader request, const std::string& sessionError, ipc::WorkerReply::Builder reply);
void handleDescribe(ipc::DescribeRequest::Reader request, const std::string& sessionError,
                    ipc::WorkerReply::Builder reply);

}  // namespace checker::worker
