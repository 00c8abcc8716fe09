#pragma once
// Running one program to completion for the exec job, bounded by a deadline.
//
// The child gets: its own process group (so a shell pipeline is killed as a
// unit), PR_SET_PDEATHSIG = SIGKILL (it dies with the worker), every signal
// at its default disposition and none blocked, stdin from /dev/null,
// stdout and stderr into one pipe, no other file descriptors, and exactly
// the environment given. It is started with fork + execve rather than
// posix_spawn because the death signal must be set in the child; a failed
// exec is reported synchronously through a close-on-exec pipe. (The death
// signal follows the *thread* that forked: call this from the worker's main
// thread, which outlives the run.)
//
// Output: the first `outputCap` bytes are kept. After that the pipe is still
// read and the rest discarded, so a chatty child never blocks on a full
// pipe (nor dies of SIGPIPE) and finishes on its own terms.
//
// End: when the child exits, whatever it left running in its process group
// is killed (SIGKILL to the group, while the exited leader still holds the
// group id), output already in the pipe is collected without waiting for
// more, and the child is reaped. At the deadline the whole group is killed
// and reaped. The child is waited for with a pidfd (Linux 5.3+), or, where
// pidfd_open is unavailable, by polling every 10 ms.
#include <chrono>
#include <string>
#include <vector>

namespace checker {

struct ChildRun {
  std::string startError;  // non-empty: it never ran ("execve(/x): No such file or directory")
  bool timedOut = false;   // killed at the deadline
  int status = 0;          // waitpid status otherwise
  std::string output;      // the first outputCap bytes of stdout + stderr
  bool outputTruncated = false;
};

// ARGV[0] is an absolute path (no PATH search); ENV is "KEY=VALUE" entries.
ChildRun runChild(const std::vector<std::string>& argv, const std::vector<std::string>& env, size_t outputCap,
                  std::chrono::steady_clock::time_point deadline);

}  // namespace checker
