# Messages between checkerd and its long-lived checker-peerd child, over a
# Unix socket pair with Cap'n Proto stream framing (ipc/framing.h).
# The supervisor pushes this instance's health (a heartbeat, at least every
# few seconds, and at once on a change); it asks peerd to query a peer and
# peerd answers with what the peer said. Secrets never travel here: peerd
# reads them from the config itself. peerd never writes the state; it reads
# it (read-only) for its status page and /metrics, with the counters only the
# supervisor knows (RunMetrics) and the jobs it runs now (JobList) from here.
@0xd8d0d94b1e1562d6;

$import "/capnp/c++.capnp".namespace("checker::ipc");
using State = import "state.capnp";
using Job = import "job.capnp";

struct OutcomeCount {
  outcome @0 :Job.Outcome;
  runs @1 :UInt64;
}

# The supervisor's counters since checkerd started (they start again at 0
# with it), for /metrics (state/run_metrics.h writes and reads them).
struct RunMetrics {
  runsByOutcome @0 :List(OutcomeCount);  # finished runs (workers, peer
                                         # checks, self-checks) per outcome
  durationBoundsMs @1 :List(UInt32);     # the histogram's upper bounds, ascending
  durationBuckets @2 :List(UInt64);      # runs per bound (not cumulative), then
                                         # one more: longer than the last bound
  durationSumMs @3 :UInt64;
  spawnFailures @4 :UInt64;              # runs whose worker could not be started
  overruns @5 :UInt64;                   # due while the job's previous run still ran
  runsLost @6 :UInt64;                   # lost with the worker launcher, not recorded
}

struct HealthUpdate {
  mailProblem @0 :Bool;       # the mail path is broken: peers are told MailProblem
  heartbeatUnixMs @1 :Int64;  # when the supervisor sent this
  schedulerOk @2 :Bool;       # false: jobs are due but cannot start (no
                              # heartbeat; JobProblem once it is old enough)
  metrics @3 :RunMetrics;     # as of this heartbeat
}

# The jobs checkerd runs now, in its order: sent when peerd is ready and
# after a reload. The `jobs` database also keeps the records of jobs a
# reload removed; the page and /metrics show only these.
struct JobRef {
  id @0 :Text;
  name @1 :Text;
}
struct JobList {
  jobs @0 :List(JobRef);
}

struct PeerQuery {
  queryId @0 :UInt64;
  name @1 :Text;        # the [peers] key
  timeoutMs @2 :UInt32;
}

# Confirmation (issue 19). Asking: checkerd names a job and the peers to ask
# about it; peerd asks them all at once (GET /v2/confirm, signed) and answers
# once with one view per peer. Answering: a peer's question about a job whose
# last result here is older than the peer's failure time makes peerd ask for
# one run now (RunNow); checkerd answers each RunNow exactly once (RunNowDone).
struct ConfirmAsk {
  askId @0 :UInt64;
  jobId @1 :Text;
  peers @2 :List(Text);     # [peers] names; each must have a secret
  afterUnixMs @3 :Int64;    # the asker's failure time
}

struct RunNowDone {
  requestId @0 :UInt64;
  ran @1 :Bool;             # a run of the job ended and was recorded while it
                            # waited; false: none (too soon, not run here, not
                            # recorded): peerd answers from the fields below
                            # when lastRunUnixMs > 0 (too soon: the newest
                            # result, which the state may not hold yet), else
                            # from the state
  health @2 :State.Health;  # after that run (ran), or the newest result's
  lastRunUnixMs @3 :Int64;  # when that run started; 0: no result given
  outcome @4 :Job.Outcome;
  message @5 :Text;
}

struct ToPeerd {
  union {
    health @0 :HealthUpdate;
    query @1 :PeerQuery;
    shutdown @2 :Void;
    jobs @3 :JobList;
    confirm @4 :ConfirmAsk;
    runNowDone @5 :RunNowDone;
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

# One peer's view of the job (peering/peer_view.h).
enum ConfirmVerdict {
  unreachable @0;
  failing @1;
  ok @2;
  neverRun @3;
  unknownJob @4;
  refused @5;
}
struct ConfirmView {
  peer @0 :Text;
  verdict @1 :ConfirmVerdict;
  lastRunUnixMs @2 :Int64;
  ranNow @3 :Bool;
  message @4 :Text;         # one line
}
struct Confirmed {
  askId @0 :UInt64;
  views @1 :List(ConfirmView);  # one per peer asked, in the order asked
}

# Run this job once now, for a peer's question (at most once per 10 s per
# job: checkerd's RunEngine::runNow decides).
struct RunNow {
  requestId @0 :UInt64;
  jobId @1 :Text;
}

struct FromPeerd {
  union {
    answer @0 :PeerAnswer;
    listening @1 :Listening;
    confirmed @2 :Confirmed;
    runNow @3 :RunNow;
  }
}
