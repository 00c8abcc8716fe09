#pragma once
// Every exit code a checker program returns, in one table (README.md,
// "Exit codes"; docs/cli.md per command). A code keeps one meaning in each
// program; 111 is the one number read two ways, because tests and docs
// rely on both: for `checker` and `checkerd` a temporary failure, for the
// internal programs (checker-worker, checker-mailer, checker-peerd) that
// their parent is gone, which for them is the same thing: nobody is left
// to serve, and a new parent starts a new one. Header-only: the worker
// uses it without linking the process library.

namespace checker {

enum ExitCode : int {
  // Every program: done as asked (checker-worker: a reply was written;
  // a helper child: checkerd closed its control socket).
  kExitOk = 0,
  // checker: the thing asked about is not healthy, or the command failed.
  kExitUnhealthy = 1,
  // checker, checkerd, checker-mailer, checker-peerd: bad usage or bad
  // config; nothing was started. The unit does not restart checkerd on it
  // (packaging/checker.service, RestartPreventExitStatus=2 100).
  kExitUsage = 2,
  // checker status: checkerd is not running, or its heartbeat is stale.
  kExitDaemonDown = 3,
  // An internal program (checker-worker, checker-mailer, checker-peerd)
  // started with a command line it does not take: do not retry.
  kExitBadInvocation = 100,
  // checker-worker: nothing or garbage on stdin; one line on stderr, no reply.
  kExitBadRequest = 101,
  // checker-worker as a probe worker (isolation = batch): its sandbox could
  // not be applied; one line on stderr, no probe was run.
  kExitSandboxFailed = 102,
  // checker, checkerd: a temporary failure (the state is busy: another
  // checkerd or an import holds it); retrying may help.
  kExitTemporary = 111,
  // checker-worker, checker-mailer, checker-peerd: the parent that started
  // it is gone (or the worker's reply could not be written to it).
  kExitParentGone = kExitTemporary,
};

}  // namespace checker
