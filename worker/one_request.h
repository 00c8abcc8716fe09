#pragma once
// One worker's whole life, from its first instruction to its exit code: the
// same whether checkerd exec'd checker-worker for the run or the launcher
// forked it (worker/launcher.h). The request is read from stdin, the reply
// written on stdout, the log goes to stderr.
//
// The fixed order of what happens before any job code runs:
//   1. die with the parent (PR_SET_PDEATHSIG), and exit if it already died
//   2. its own session and process group
//   3. read exactly one request (bad: exit 101, one line on stderr, no reply)
//   4. the sandbox steps of worker/sandbox.h: fds, cgroup, environment,
//      privileges, no_new_privs, rlimits
//   5. answer the request, write the reply
#include <sys/types.h>

#include "common/result.h"

namespace checker::worker {

// PARENT: the process whose death must end this worker (the supervisor,
// or the launcher). Returns the exit code (worker/process_setup.h).
int serveOneRequest(pid_t parent);

// The same in two halves, for a worker made before its run is known (the
// launcher's spare): steps 1 and 2, which return whether the worker got a
// session of its own (an Error fails the run it answers, not the process);
// then steps 3 to 5.
Result<> prepareWorkerProcess(pid_t parent);
int answerOneRequest(const Result<>& session);

}  // namespace checker::worker
