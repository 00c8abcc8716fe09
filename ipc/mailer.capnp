# Messages between checkerd and its long-lived checker-mailer child, over a
# Unix socket pair with Cap'n Proto stream framing (ipc/framing.h).
# The mailer acks an outbox entry only after the SMTP server accepted it;
# the supervisor deletes the entry only on that ack (at-least-once delivery).
@0xd2ea4b629be2f33c;

$import "/capnp/c++.capnp".namespace("checker::ipc");
using State = import "state.capnp";

struct SelfCheckRequest {
  token @0 :Text;       # random, unique per check
  deadlineMs @1 :UInt32;
}

struct ToMailer {
  union {
    send @0 :State.OutboxEntry;
    selfCheck @1 :SelfCheckRequest;
    shutdown @2 :Void;
    # Entries of one channel (not mail) sent as one notice (the channel's
    # group_wait); one SendResult comes back for each.
    sendGroup @3 :List(State.OutboxEntry);
  }
}

struct SendResult {
  entryId @0 :UInt64;
  accepted @1 :Bool;    # the server answered 250 to the message
  permanent @2 :Bool;   # when not accepted: a 5xx, do not retry
  serverReply @3 :Text; # what the server or libcurl said
}

struct SelfCheckResult {
  token @0 :Text;
  ok @1 :Bool;
  step @2 :Text;        # connect, tls, auth, send, search, not-arrived
  message @3 :Text;
}

struct FromMailer {
  union {
    sendResult @0 :SendResult;
    selfCheckResult @1 :SelfCheckResult;
  }
}
