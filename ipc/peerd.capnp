# Messages between checkerd and its long-lived checker-peerd child, over a
# Unix socket pair with Cap'n Proto stream framing (ipc/framing.h).
# The supervisor pushes this instance's health (a heartbeat, at least every
# few seconds, and at once on a change); it asks peerd to query a peer and
# peerd answers with what the peer said. Secrets never travel here: peerd
# reads them from the config itself. peerd never writes the state.
@0xd8d0d94b1e1562d6;

$import "/capnp/c++.capnp".namespace("checker::ipc");
using State = import "state.capnp";

struct HealthUpdate {
  mailProblem @0 :Bool;       # the mail path is broken: peers are told MailProblem
  heartbeatUnixMs @1 :Int64;  # when the supervisor sent this
  schedulerOk @2 :Bool;       # false: jobs are due but cannot start (no
                              # heartbeat; JobProblem once it is old enough)
}

struct PeerQuery {
  queryId @0 :UInt64;
  name @1 :Text;        # the [peers] key
  timeoutMs @2 :UInt32;
}

struct ToPeerd {
  union {
    health @0 :HealthUpdate;
    query @1 :PeerQuery;
    shutdown @2 :Void;
  }
}

struct PeerAnswer {
  queryId @0 :UInt64;
  status @1 :State.PeerStatus;
  message @2 :Text;           # one line, for the admin
  httpStatus @3 :UInt32;
  authenticated @4 :Bool;     # signed and verified
}

struct Listening {
  ok @0 :Bool;
  address @1 :Text;     # host:port as bound (the port is real even for :0)
  error @2 :Text;       # when not ok: why (address in use, ...)
}

struct FromPeerd {
  union {
    answer @0 :PeerAnswer;
    listening @1 :Listening;
  }
}
