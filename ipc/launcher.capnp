# Messages between checkerd and its worker launcher (`checker-worker
# --launcher`), a long-lived child that forks one sandboxed worker per run.
# Carried over a SOCK_SEQPACKET socket pair: one framed message per
# datagram (ipc/framing.h), so no reader ever waits for the rest of one.
#
# The run's own bytes never pass through the launcher: the supervisor makes
# the run's three pipes, sends their worker ends with `start` (SCM_RIGHTS,
# in the order stdin, stdout, stderr), writes the request into the stdin
# pipe and reads the reply from stdout, as with a worker it spawned itself.
@0x902cf207c4d9526d;

$import "/capnp/c++.capnp".namespace("checker::ipc");

struct ToLauncher {
  union {
    start @0 :UInt64;   # run id; the datagram carries the run's three fds
    kill @1 :UInt64;    # run id: SIGKILL the run's process group now
    startNet @2 :UInt64;      # as start, for http and tls_cert: a spare of the net zygote
    startBuiltIn @3 :UInt64;  # as start, for tcp: a one-process spare (worker_runs/builtin_network_types.h)
  }
}

struct RunStarted {
  runId @0 :UInt64;
  pid @1 :Int32;        # the worker; also its process group and session
}

struct RunExited {
  runId @0 :UInt64;
  exitStatus @1 :Int32; # as uv_process_t reports it: the exit code, or 0
  termSignal @2 :Int32; # the signal that ended it, or 0
}

struct RunNotStarted {
  runId @0 :UInt64;
  error @1 :Text;       # "fork: Resource temporarily unavailable", ...
}

struct FromLauncher {
  union {
    started @0 :RunStarted;
    exited @1 :RunExited;
    notStarted @2 :RunNotStarted;
  }
}
