# The operator's requests to a running checkerd over its control socket
# (STATEDIR/control.sock, a Unix stream socket; Cap'n Proto stream framing,
# ipc/framing.h): one request, one reply, then the connection closes.
@0x89567e1a673f2800;

$import "/capnp/c++.capnp".namespace("checker::ipc");

struct ControlRequest {
  union {
    reload @0 :Void;    # re-read the config file (as SIGHUP)
    ping @1 :Void;      # is a checkerd there? (answers its pid and config file)
    testChannel @2 :Text;  # send a test notice to this channel; ok: its receiver
                           # accepted it; message: its answer (checker test-channel)
    # @3, @4 and @5 are another change's (issue 19); held here so that the
    # ordinals stay contiguous, as Cap'n Proto requires.
    reserved3 @3 :Void;
    reserved4 @4 :Void;
    reserved5 @5 :Void;
    confirm @6 :ConfirmRequest;  # ask peers for their view of a job now
                                 # (checker confirm); ok: every peer answered;
                                 # message: one line per peer
  }
}

struct ConfirmRequest {
  job @0 :Text;            # a job's name or id
  peers @1 :List(Text);    # [peers] names; empty: the job's confirm_with
}

struct ControlReply {
  ok @0 :Bool;
  message @1 :Text;     # what was done, or why not (one line per error)
}
