# Values stored in the LMDB state (state/state_store.h). Keys are plain
# strings; every value below is one Cap'n Proto message in flat-array form.
#
#   database  key                         value
#   meta      "schema_version"            decimal text, e.g. "1"
#   meta      "heartbeat"                 Heartbeat
#   meta      "reload"                    ReloadState
#   meta      "job_list"                  RunningJobs
#   jobs      job id                      JobState
#   history   job id + "\0" + 16 hex      RunRecord (start ms, big-endian hex
#             digits of start time         so keys sort by time per job)
#   outbox    16 hex digits of entry id   OutboxEntry
#   email     "selfcheck"                 EmailState
#   peers     peer name                   PeerState
#
# Evolution: fields are only ever added at the end with new ordinals; a
# change that old readers cannot ignore bumps the schema version.
@0x9079f8aa5ca293fd;

$import "/capnp/c++.capnp".namespace("checker::ipc");
using Job = import "job.capnp";

enum Health {
  neverRun @0;
  ok @1;
  failing @2;
}

struct JobState {
  id @0 :Text;
  name @1 :Text;
  type @2 :Text;
  health @3 :Health;
  consecutiveFailures @4 :UInt32;
  consecutiveSuccesses @5 :UInt32;  # while failing: toward recover_after
  firstFailureUnixMs @6 :Int64;     # 0 when not failing
  lastNotifyUnixMs @7 :Int64;       # 0 when nothing was sent this episode
  lastRunUnixMs @8 :Int64;
  lastOutcome @9 :Job.Outcome;
  lastMessage @10 :Text;
  lastDurationMs @11 :UInt32;
  runs @12 :UInt64;
  overruns @13 :UInt64;             # due while the previous run still ran
  notifiedFailure @14 :Bool;        # a failure notice went out this episode
  lastLatencyUs @15 :Int64 = -1;    # the last run's probe latency; -1: it measured none
}

struct RunRecord {
  startedUnixMs @0 :Int64;
  durationMs @1 :UInt32;
  outcome @2 :Job.Outcome;
  signal @3 :Int32;                 # for crashed / limit: the signal number
  message @4 :Text;
  latencyUs @5 :Int64 = -1;         # the probe's own latency; -1: none measured
  measurements @6 :List(Job.Measurement);
}

enum MailKind {
  alert @0;          # a job turned or stays failing
  recovery @1;       # a job recovered
  peerAlert @2;      # a peer is unhealthy: mail to the peer's admin
  peerRecovery @3;
  test @4;           # checker test-email
  selfCheckProbe @5; # the email self-check's token message
}

struct OutboxEntry {
  id @0 :UInt64;                    # monotonically increasing
  createdUnixMs @1 :Int64;
  kind @2 :MailKind;
  jobId @3 :Text;                   # the job or peer it is about
  to @4 :List(Text);
  subject @5 :Text;
  body @6 :Text;
  attempts @7 :UInt32;
  nextAttemptUnixMs @8 :Int64;
  lastError @9 :Text;
  permanentFailure @10 :Bool;       # 5xx: kept visible, not retried
}

struct EmailState {
  lastCheckUnixMs @0 :Int64;
  ok @1 :Bool;
  message @2 :Text;                 # which step broke, when not ok
  lastOkUnixMs @3 :Int64;
}

enum PeerStatus {
  unknown @0;
  healthy @1;          # answered True
  mailProblem @2;
  jobProblem @3;
  noAnswer @4;         # refused, timed out, unreachable
  badStatus @5;        # HTTP status other than 200
  unexpectedBody @6;
  unverified @7;       # authenticated answer failed verification
}

struct PeerState {
  name @0 :Text;
  url @1 :Text;
  status @2 :PeerStatus;
  message @3 :Text;
  lastQueryUnixMs @4 :Int64;
  sinceUnixMs @5 :Int64;            # when the current status began
}

struct ReloadState {
  unixMs @0 :Int64;                 # when the last reload was tried
  ok @1 :Bool;                      # false: the running config stayed
  message @2 :Text;                 # what changed, or why not (every error)
}

struct Heartbeat {
  unixMs @0 :Int64;                 # the scheduler last completed a run
  pid @1 :UInt32;
}

# meta "job_list": the jobs checkerd runs, as `checker status` lists them
# (plugin sections as their worker described them), written at start and
# after each reload it applied. Absent: checkerd has not run since it was
# added; status then lists the config's jobs.
struct RunningJobs {
  jobs @0 :List(RunningJob);        # in the config's order, system jobs last
}

struct RunningJob {
  id @0 :Text;
  name @1 :Text;
  type @2 :Text;
  section @3 :Text;                 # the [job NAME] it came from; "" for a system job
  schedule @4 :Text;                # as the config says it: "30s", "minute", ...
  system @5 :Bool;
}
