#pragma once
// What the worker does with each kind of request, once it is read: enter
// the sandbox, then answer. Each fills the reply; neither throws.
#include <string>

#include "common/result.h"
#include "ipc/job.capnp.h"
#include "jobs/job_base.h"

namespace checker::worker {

// SESSION: whether the worker got its own session; an Error is a sandbox
// mechanism that failed, so the run fails with it.
void handleRun(ipc::JobRequest::Reader request, const Result<>& session, ipc::WorkerReply::Builder reply);
// The job's context from its request: ids, server name, and the deadline
// on the steady clock the job measures time with.
JobRunContext runContext(ipc::JobRequest::Reader request);
JobParams runParams(ipc::JobRequest::Reader request);

void handleDescribe(ipc::DescribeRequest::Reader request, const Result<>& session, ipc::WorkerReply::Builder reply);

}  // namespace checker::worker
