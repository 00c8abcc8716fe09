#pragma once
// The three pipes between the supervisor and a worker it has the launcher
// fork: the worker's stdin (requests), stdout (replies) and stderr. The
// supervisor keeps one end of each, opened on its loop; the other three go
// to the launcher with the start message (worker_launcher.h). A one-run
// worker (worker_run.h) and a probe worker (probe_worker.h) both start so.
#include <uv.h>

#include "common/result.h"

namespace checker {

struct WorkerPipes {
  int workerEnds[3] = {-1, -1, -1};  // stdin's read end, stdout's and stderr's write ends
};

// Makes the pipes and opens the supervisor's ends as STDIN_PIPE,
// STDOUT_PIPE and STDERR_PIPE on LOOP, each with data = OWNER (all three
// then need uv_close). On an error nothing is left open.
Result<WorkerPipes> openWorkerPipes(uv_loop_t* loop, uv_pipe_t* stdinPipe, uv_pipe_t* stdoutPipe,
                                    uv_pipe_t* stderrPipe, void* owner);

}  // namespace checker
