# Wire format between checkerd and one checker-worker (one job run).
#
# The supervisor writes exactly one WorkerRequest on the worker's stdin and
# closes it; the worker writes exactly one WorkerReply on its stdout and exits.
# Both use Cap'n Proto's standard stream framing (ipc/framing.h), and the
# supervisor reads the reply with a hard size cap and ReaderOptions limits.
# A reply that is missing, malformed, oversize, or of the wrong kind for the
# request is a `protocolError` outcome for that run; it never harms the reader.
#
# Evolution: fields are only ever added at the end with new ordinals.
@0x9449809aa276d810;

$import "/capnp/c++.capnp".namespace("checker::ipc");

# How one run ended, as classified by the supervisor. A worker may only
# report `ok` or `failed`; every other kind is decided from how the worker
# process ended (signal, deadline, limit) or from what it wrote.
enum Outcome {
  ok @0;             # the job ran and reported success
  failed @1;         # the job ran and reported failure (message says why)
  crashed @2;        # the worker died from a signal (which: RunRecord.signal)
  timedOut @3;       # the wall-clock deadline passed; process group killed
  limit @4;          # killed by a resource limit (CPU, memory)
  protocolError @5;  # no result, a malformed one, or an oversize one
}

# Per-run resource limits; 0 means "no limit of this kind".
struct Limits {
  timeoutMs @0 :UInt32;     # wall clock, enforced by the supervisor
  cpuSeconds @1 :UInt32;    # RLIMIT_CPU
  memoryBytes @2 :UInt64;   # RLIMIT_AS and cgroup memory limit
  openFiles @3 :UInt32;     # RLIMIT_NOFILE
  processes @4 :UInt32;     # cgroup pids limit, or RLIMIT_NPROC without cgroups
  fileSizeBytes @5 :UInt64; # RLIMIT_FSIZE
}

# One key of a job's config section, after target expansion.
struct Param {
  key @0 :Text;
  value @1 :Text;
}

struct JobRequest {
  jobId @0 :Text;          # identity: type + distinguishing arguments
  jobName @1 :Text;        # the config section's name (for messages)
  type @2 :Text;           # built-in type name, or plugin class name
  params @3 :List(Param);
  limits @4 :Limits;
  deadlineUnixMs @5 :Int64;
  pluginDir @6 :Text;      # where plugin types are loaded from
  serverName @7 :Text;     # [general] servername, for composed messages
  sandbox @8 :Sandbox;
}

# What the worker applies before any job code runs (worker/sandbox*.cpp).
# Every mechanism asked for here that fails to apply fails the run.
struct Sandbox {
  workDir @0 :Text;          # an empty directory to chdir into
  cgroupDirs @1 :List(Text); # run cgroups to join, made by the supervisor
                             # (v2: one; v1: one per controller); empty: none
  dropPrivileges @2 :Bool;   # when started as root: become runUid/runGid
  runUid @3 :UInt32;
  runGid @4 :UInt32;
  useNprocLimit @5 :Bool;    # no cgroup pids limit: fall back to RLIMIT_NPROC
  isolate @6 :Bool;          # own pid and mount namespaces: a private /proc,
                             # a private scratch /tmp, /var/tmp, /dev/shm of
                             # scratchBytes, everything else read-only
  scratchBytes @7 :UInt64;   # the scratch tmpfs's size (all three share it)
  writablePaths @8 :List(Text);  # absolute paths left writable (job config)
  capabilities @9 :List(Text);   # ambient capabilities kept ("net_raw")
  keepStdin @10 :Bool;       # a probe worker: its probes arrive on stdin
}

# A message a job composed for its admin (the seed's onFailure /
# onStateChangeSuccess). The supervisor's policy decides whether it is sent.
struct Notice {
  subject @0 :Text;
  body @1 :Text;
}

struct JobResult {
  outcome @0 :Outcome;     # ok or failed only, when written by a worker
  message @1 :Text;        # first line: the reason shown in status and mail
  durationMs @2 :UInt32;   # as measured by the worker around execute()
  details @3 :Text;        # optional longer text (log excerpt, etc.)
  failureNotice @4 :Notice;   # set when the job composed its own failure mail
  recoveryNotice @5 :Notice;  # set when it composed its own recovery mail
  signal @6 :Int32;        # the job's own process (an exec job's command)
                           # was killed by this signal; 0 otherwise
  deadlineExceeded @7 :Bool;  # the job gave up at the run's deadline
  latencyUs @8 :Int64 = -1;   # the probe's own latency (TCP connect, HTTP
                              # response, TLS handshake, an exec job's
                              # command); -1 when the job measured none
  measurements @9 :List(Measurement);  # named numbers the job reported
}

# A named number a job measured (a Nagios plugin's performance data
# 'label'=value[unit];[warn];[crit];[min];[max], or a plugin's metric).
# The supervisor keeps at most 32 per run, each field bounded.
struct Measurement {
  name @0 :Text;
  value @1 :Float64;
  unit @2 :Text;
  warn @3 :Text;   # the texts as the job gave them; "" when absent
  crit @4 :Text;
  min @5 :Text;
  max @6 :Text;
}

# Expanding a plugin's config section into jobs happens in a worker too
# ("describe"): job code never runs in the supervisor.
struct DescribeRequest {
  sectionName @0 :Text;
  type @1 :Text;
  params @2 :List(Param);
  pluginDir @3 :Text;
  sandbox @4 :Sandbox;      # plugin code runs here too: the same sandbox
  limits @5 :Limits;        # as a run of the section's jobs
}

struct JobDescription {
  identityArgs @0 :List(Text);  # the arguments that distinguish this job
                                # (empty: the section itself is the job)
  params @1 :List(Param);       # parameters the run of this job receives
  every @2 :Text;               # the job's executeEvery(); "" = as configured
  notify @3 :Text;              # notifyOnFailureEvery(); "" = as configured
  failuresBeforeNotify @4 :UInt32;  # 0 = as configured
}

struct DescribeReply {
  jobs @0 :List(JobDescription);
  error @1 :Text;               # non-empty: the section cannot be used
}

# isolation = batch: a long-lived probe worker. After this request (the
# worker's sandbox and limits, applied once), stdin carries a stream of
# framed ProbeRequest and stdout a stream of framed ProbeReply, one per
# probe, in the order they finish. The worker ends when stdin ends and the
# probes in flight have answered.
struct ProbeSession {
  sandbox @0 :Sandbox;
  limits @1 :Limits;         # cpuSeconds 0: none (the worker lives long)
  maxInFlight @2 :UInt32;    # probes the supervisor may have in flight
}

struct ProbeRequest {
  probeId @0 :UInt64;        # the supervisor's run id
  run @1 :JobRequest;        # a built-in network type; sandbox, limits unused
}

struct ProbeReply {
  probeId @0 :UInt64;
  result @1 :JobResult;
}

struct WorkerRequest {
  union {
    run @0 :JobRequest;
    describe @1 :DescribeRequest;
    probes @2 :ProbeSession;
  }
}

struct WorkerReply {
  union {
    result @0 :JobResult;
    description @1 :DescribeReply;
  }
}
