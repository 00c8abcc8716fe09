# The operator's requests to a running checkerd over its control socket
# (STATEDIR/control.sock, a Unix stream socket; Cap'n Proto stream framing,
# ipc/framing.h): one request, one reply, then the connection closes.
@0x89567e1a673f2800;

$import "/capnp/c++.capnp".namespace("checker::ipc");
using State = import "state.capnp";

struct ControlRequest {
  union {
    reload @0 :Void;    # re-read the config file (as SIGHUP)
    ping @1 :Void;      # is a checkerd there? (answers its pid and config file)
    testChannel @2 :Text;  # send a test notice to this channel; ok: its receiver
                           # accepted it; message: its answer (checker test-channel)
    silence @3 :SilenceRequest;  # ok: stored (durable) before the answer;
                                 # message: "silence ID: WHAT until WHEN (REASON)"
    silences @4 :Void;     # ok; message: the active silences as JSON (below)
    unsilence @5 :UInt64;  # ok: removed; not ok: no such (active) silence
    confirm @6 :ConfirmRequest;  # ask peers for their view of a job now
                                 # (checker confirm); ok: every peer answered;
                                 # message: one line per peer
  }
}

# checker silence: quiet the jobs a selector covers for durationMs (1 min to
# 90 days), saying why (reason: 1..500 bytes). At most 1,000 silences are
# active at once. supervisor/silence_book.h checks every bound.
struct SilenceRequest {
  kind @0 :State.SilenceKind;
  value @1 :Text;        # the job name or glob, the tag; "" for all
  durationMs @2 :Int64;
  reason @3 :Text;
}

# The answer to `silences` (ControlReply.message), one JSON object:
#   {"now_unix_ms": N, "silences": [{"id": 7, "kind": "job"|"tag"|"all",
#    "value": "web*", "selector": "web*"|"tag db"|"all jobs",
#    "reason": "...", "created_unix_ms": N, "ends_unix_ms": N, "uid": N|null}, ...]}
# in id order; only silences still active at now_unix_ms.

struct ConfirmRequest {
  job @0 :Text;            # a job's name or id
  peers @1 :List(Text);    # [peers] names; empty: the job's confirm_with
}

struct ControlReply {
  ok @0 :Bool;
  message @1 :Text;     # what was done, or why not (one line per error)
}
