#pragma once
// A probe worker's life after its request (isolation = batch; the request
// kind `probes` of ipc/job.capnp): the sandbox applied once, as for any run,
// then a stream of probes in on stdin and their results out on stdout, many
// in flight at once (worker/probe_fibers.h). Only the built-in network types
// are run (config/job_catalog.h, isProbeType); code the operator wrote
// never runs here. Each probe keeps its own job's deadline, outcome and
// message exactly as a run of it in a process of its own would.
//
// Ends when stdin ends and every probe in flight has answered (exit 0),
// when stdout's reader is gone (111), on a malformed probe request (101,
// one line on stderr), or when the sandbox cannot be applied (102).
#include "common/result.h"
#include "ipc/job.capnp.h"

namespace checker::worker {

int serveProbeSession(ipc::ProbeSession::Reader request, const Result<>& session);

}  // namespace checker::worker
