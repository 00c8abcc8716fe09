# Messages between checkerd and its long-lived checker-peerd child, over a
# Unix socket pair with Cap'n Proto stream framing (ipc/framing.h).
# The supervisor pushes this instance's health on every change; peerd
# reports each peer's answer back. peerd never writes the state.
@0xd8d0d94b1e1562d6;

$import "/capnp/c++.capnp".namespace("checker::ipc");
using State = import "state.capnp";

# What peers are told, in the original's words: True, MailProblem, JobProblem.
enum InstanceHealth {
  ok @0;
  mailProblem @1;
  jobProblem @2;
}

struct HealthUpdate {
  health @0 :InstanceHealth;
  heartbeatUnixMs @1 :Int64;
  mailOk @2 :Bool;
}

struct PeerQuery {
  name @0 :Text;
  url @1 :Text;
  secret @2 :Text;      # empty: plain (legacy) answer
  timeoutMs @3 :UInt32;
}

struct ToPeerd {
  union {
    health @0 :HealthUpdate;
    query @1 :PeerQuery;
    shutdown @2 :Void;
  }
}

struct PeerAnswer {
  name @0 :Text;
  status @1 :State.PeerStatus;
  message @2 :Text;
  httpStatus @3 :UInt32;
  body @4 :Text;
}

struct FromPeerd {
  union {
    answer @0 :PeerAnswer;
    listening @1 :Text;   # peerd bound its port (address:port), or why not
  }
}
