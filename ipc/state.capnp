# Values stored in the LMDB state (state/state_store.h). Keys are plain
# strings; every value below is one Cap'n Proto message in flat-array form.
#
#   database  key                         value
#   meta      "schema_version"            decimal text, now "2"
#   meta      "heartbeat"                 Heartbeat
#   meta      "reload"                    ReloadState
#   meta      "job_list"                  RunningJobs
#   jobs      job id                      JobState
#   history   job id + "\0" + 16 hex      RunRecord (start ms, big-endian hex
#             digits of start time         so keys sort by time per job)
#   outbox    16 hex digits of entry id   OutboxEntry
#   email     "selfcheck"                 EmailState
#   peers     peer name                   PeerState
#   hourly    job id + "\0" + 16 hex      HourlyAggregate (the hour's start in
#             digits of the hour start ms  UTC epoch ms, a multiple of 3600000)
#   incidents job id + "\0" + 16 hex      Incident (the episode's start ms:
#             digits of the episode start  the policy's firstFailureUnixMs)
#   history_index  job id                 HistoryIndex (per job: how many
#                                          history entries; its open incident)
#   channels  channel name ("email": the  ChannelHealth (optional, added without
#             built-in one)                a schema bump: see state/channel_health.h)
#   silences  "silence:" + 16 hex digits  Silence (optional, added without a
#             of its id                    schema bump: see state/silences.h)
#   silences  "next_id"                   decimal text: the next silence's id
#
# Schema 2 added hourly, incidents and history_index (state/schema_upgrade.h
# upgrades a version 1 store in place, keeping its data). A version 1
# checkerd must not write a version 2 store: its history writes would skip
# the index, so the count the retention trusts would be wrong.
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
  # What holds the job's notices now (state/notice_gate.h), why, since when.
  noticeHold @16 :NoticeHold;
  holdReason @17 :Text;
  holdSinceUnixMs @18 :Int64;
  # Flap detection (state/flapping.h): the last runs, newest in bit 0, 1 =
  # failed; whether it flaps and whether people were told it does.
  recentFailedBits @19 :UInt32;
  recentRuns @20 :UInt32;
  flapping @21 :Bool;
  flapNoticeSent @22 :Bool;
}

enum NoticeHold {
  none @0;
  quiet @1;      # a maintenance window or a silence
  blocked @2;    # a job it depends on is failing
  flapping @3;
  confirming @4; # its peers are being asked whether they see it failing too
  unconfirmed @5; # they did not: this vantage point only
}

struct RunRecord {
  startedUnixMs @0 :Int64;
  durationMs @1 :UInt32;
  outcome @2 :Job.Outcome;
  signal @3 :Int32;                 # for crashed / limit: the signal number
  message @4 :Text;
  latencyUs @5 :Int64 = -1;         # the probe's own latency; -1: none measured
  measurements @6 :List(Job.Measurement);
  note @7 :Text;                    # a notice this run made due and the gate held, and why
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
  # "" : a mail (to, subject, body). Else the [channel NAME] it goes to:
  # `notice` holds the facts its payload is made of when it is sent
  # (channels/), `to` and `subject` what `checker status` shows of it.
  channel @11 :Text;
  notice @12 :ChannelNotice;
}

# The facts of one notice, for a channel other than mail (channels/notice.h).
struct ChannelNotice {
  instance @0 :Text;
  jobId @1 :Text;
  jobName @2 :Text;
  jobType @3 :Text;
  state @4 :Text;                   # failing, recovered, test
  outcome @5 :Text;
  message @6 :Text;
  sinceUnixMs @7 :Int64;
  atUnixMs @8 :Int64;
  failures @9 :UInt32;
  pageUrl @10 :Text;
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
  timeoutMs @6 :Int64;              # a run's wall-clock limit
  notify @7 :Text;                  # its policy in words (state/job_list.h)
  isolation @8 :Text;               # "run" or "batch"
}

# history_index: what the writer keeps per job to bound its history without
# scanning it (state/run_history.h). Written in the same transaction as the
# runs it counts, so it is exact after any restart.
struct HistoryIndex {
  runs @0 :UInt32;                  # entries of this job in `history`
  openIncidentUnixMs @1 :Int64;     # the open incident's key (its start); 0: none
}

# hourly: one job's runs in one UTC hour (state/hourly_aggregate.h).
struct HourlyAggregate {
  hourStartUnixMs @0 :Int64;        # UTC epoch ms, a multiple of 3600000
  runs @1 :UInt32;
  failures @2 :UInt32;              # every outcome other than ok
  latencyRuns @3 :UInt32;           # runs that measured a latency
  latencyMinUs @4 :Int64;           # over latencyRuns; 0 when none
  latencyMaxUs @5 :Int64;
  latencySumUs @6 :Int64;           # for the mean
  latencyBuckets @7 :List(LatencyBucket);  # the non-empty ones, by index
}

# Bucket i of the log-scale latency histogram holds latencies in
# [2^(i/4), 2^((i+1)/4)) microseconds (0 us in bucket 0; 127: everything
# from about 59 min up).
struct LatencyBucket {
  index @0 :UInt16;
  count @1 :UInt32;
}

# incidents: one failing episode of a job, as the policy saw it: opened when
# its health turned failing, closed when it recovered (state/incidents.h).
struct Incident {
  startUnixMs @0 :Int64;            # the episode's first failure
  endUnixMs @1 :Int64;              # when the recovering run finished; 0 while open
  durationMs @2 :Int64;             # end - start; 0 while open
  firstMessage @3 :Text;            # the first failing run's message
  lastMessage @4 :Text;             # the latest failing run's message
  notices @5 :UInt32;               # notices sent in it (failure, reminders, recovery)
  failures @6 :UInt32;              # failing runs in it
  lastFailureUnixMs @7 :Int64;      # the latest failing run's start
}

# channels: one row per channel checkerd runs now ("email", the built-in
# mail to alertcontact, and each [channel NAME]), written at start and after
# each reload it applied (rows of channels no longer configured are
# deleted), and on each delivery result of that channel's outbox entries,
# in the same transaction (state/channel_health.h). Never the channel's URL,
# token, secret or headers: only its name (the key) and type.
struct ChannelHealth {
  type @0 :Text;                    # email, webhook, slack, ntfy, ...
  position @1 :UInt32;              # its place in the config ("email" first)
  lastSuccessUnixMs @2 :Int64;      # its receiver last accepted an entry; 0: never
  lastSuccessReply @3 :Text;        # what the receiver said then
  lastErrorUnixMs @4 :Int64;        # an entry was last not accepted; 0: never
  lastError @5 :Text;               # what was said then (the serverReply)
}

# silences: one row per silence (`checker silence`), written by checkerd in
# a write transaction of its own before it answers the request, deleted by
# `checker unsilence` or once expired (state/silences.h). Ids are never
# reused: "next_id" keeps counting past removed rows.
enum SilenceKind {
  job @0;                           # value: a job's name or section, or a glob
  tag @1;                           # value: a tag (`tags = ...` of a job)
  all @2;                           # every job; value ""
}

struct Silence {
  id @0 :UInt64;
  kind @1 :SilenceKind;
  value @2 :Text;
  reason @3 :Text;                  # cleaned, at most 500 bytes
  createdUnixMs @4 :Int64;
  endsUnixMs @5 :Int64;             # expired from then on
  uid @6 :Int64 = -1;               # who asked (the control socket's peer); -1: unknown
}
