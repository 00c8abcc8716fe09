#include "bench/soak/soak_kinds.h"

#include <sstream>

namespace checker::bench {
namespace {

using O = ipc::Outcome;
constexpr Runner kExec = Runner::exec;
constexpr Runner kPlugin = Runner::hostilePlugin;

// Every run is bounded: no kind keeps the default 30 s timeout, so a job
// process older than kLongestRunMs is a leak.
const std::string kTimeout = "timeout = 10s\n";

std::vector<SoakKind> makeKinds() {
  return {
      // Healthy: well-behaved checks, passing or reporting a failure.
      {"exec-ok", false, kExec, "ok", kTimeout, 3, "1s", O::OK, "all is well",
       "prints a line, exits 0"},
      {"exec-warn", false, kExec, "warn", kTimeout, 1, "1s", O::FAILED, "WARNING: disk 91% full",
       "prints a warning, exits 1 (Nagios WARNING)"},
      {"plugin-ok", false, kPlugin, "ok", kTimeout, 3, "1s", O::OK, "",
       "a plugin whose execute() returns true"},
      {"tcp-ok", false, Runner::tcp, "listening", kTimeout, 1, "1s", O::OK, "connected",
       "connects to a loopback port the soak accepts on"},
      {"tcp-refused", false, Runner::tcp, "closed", kTimeout, 1, "2s", O::FAILED, "could not connect",
       "connects to a loopback port nothing listens on"},

      // Hostile exec commands (checker-test-hostile MODE MARKER).
      {"exec-segv", true, kExec, "segv", kTimeout, 3, "1s", O::CRASHED, "SIGSEGV",
       "the command raises SIGSEGV"},
      {"exec-abort", true, kExec, "abort", kTimeout, 1, "1s", O::CRASHED, "SIGABRT",
       "the command calls abort()"},
      {"exec-cpu", true, kExec, "cpu", "cpu = 1s\n" + kTimeout, 1, "20s", O::LIMIT, "CPU limit",
       "the command spins past its 1 s CPU limit (SIGXCPU) long before its 10 s timeout"},
      {"exec-sleep", true, kExec, "sleep", "timeout = 500ms\n", 1, "1s", O::TIMED_OUT, "deadline",
       "the command sleeps past its 500 ms timeout"},
      {"exec-noterm", true, kExec, "noterm", "timeout = 500ms\n", 1, "2s", O::TIMED_OUT, "deadline",
       "the command ignores SIGTERM and sleeps past its 500 ms timeout"},
      {"exec-memory", true, kExec, "memory", "memory = 64M\n" + kTimeout, 1, "3s", O::LIMIT, "memory limit",
       "the command touches memory until its 64 MiB cgroup kills it"},
      {"exec-sleepers", true, kExec, "sleepers", "processes = 32\n" + kTimeout, 1, "2s", O::OK, "sleepers",
       "the command forks sleeping children up to its pids limit and exits 0, leaving them"},
      {"exec-forkbomb", true, kExec, "forkbomb", "processes = 32\ntimeout = 500ms\n", 1, "3s", O::TIMED_OUT,
       "deadline", "every process forks until its pids limit, then all sleep past the 500 ms timeout"},
      {"exec-files", true, kExec, "files", "files = 64\n" + kTimeout, 1, "1s", O::FAILED, "opened",
       "the command opens files until its limit of 64, then exits 2 (CRITICAL)"},
      {"exec-flood", true, kExec, "flood", kTimeout, 1, "10s", O::OK, "",
       "the command writes 100 MiB to stdout and exits 0"},
      {"exec-closeout", true, kExec, "closeout", kTimeout, 1, "1s", O::FAILED, "no output",
       "the command closes stdin, stdout and stderr and exits 2"},
      {"exec-daemon", true, kExec, "daemon", kTimeout, 1, "2s", O::OK, "daemon started",
       "the command double-forks a daemon (own session, holding the output pipe) and exits 0"},

      // Hostile plugins: code inside the worker process (HostileCheck mode).
      {"plugin-garbage", true, kPlugin, "garbage", kTimeout, 3, "1s", O::PROTOCOL_ERROR, "malformed",
       "junk bytes on the result channel before the worker's reply"},
      {"plugin-flood", true, kPlugin, "flood", kTimeout, 1, "2s", O::PROTOCOL_ERROR, "oversize",
       "a frame announcing 100 MiB on the result channel"},
      {"plugin-truncated", true, kPlugin, "truncated", kTimeout, 1, "1s", O::PROTOCOL_ERROR, "without a result",
       "the start of a frame, then the worker exits 0"},
      {"plugin-exit", true, kPlugin, "exit", kTimeout, 1, "1s", O::PROTOCOL_ERROR, "without a result",
       "the worker exits 0 without writing anything"},
      {"plugin-closeout", true, kPlugin, "closeout", kTimeout, 1, "1s", O::PROTOCOL_ERROR, "without a result",
       "puts /dev/null on the result channel's fd: the reply goes nowhere"},
      {"plugin-segv", true, kPlugin, "segv", kTimeout, 3, "1s", O::CRASHED, "SIGSEGV",
       "the worker itself raises SIGSEGV"},
      {"plugin-sleep", true, kPlugin, "sleep", "timeout = 500ms\n", 1, "3s", O::TIMED_OUT, "deadline",
       "never returns: the supervisor kills the group at 500 ms + its 1 s grace"},
      {"plugin-cpu", true, kPlugin, "cpu", "cpu = 1s\n" + kTimeout, 1, "20s", O::LIMIT, "CPU limit",
       "the worker spins past its 1 s CPU limit (SIGXCPU)"},
      {"plugin-memory", true, kPlugin, "memory", "memory = 64M\n" + kTimeout, 1, "3s", O::LIMIT, "memory limit",
       "the worker touches memory until its 64 MiB cgroup kills it"},
      {"plugin-stderr", true, kPlugin, "stderr", kTimeout, 1, "2s", O::OK, "",
       "8 MiB on stderr, then success"},
      {"plugin-children", true, kPlugin, "children", kTimeout, 1, "2s", O::OK, "",
       "forks 4 sleeping children left in the worker's group, then success"},
      {"plugin-daemon", true, kPlugin, "daemon", kTimeout, 1, "4s", O::OK, "",
       "a double-forked daemon in its own session holds the run's pipes; success at once"},
      {"throwing", true, Runner::throwingPlugin, "", kTimeout, 1, "1s", O::FAILED, "boom",
       "execute() throws std::runtime_error(\"boom\")"},
  };
}

double everySeconds(const std::string& every) {
  return std::stod(every.substr(0, every.size() - 1));  // "20s"
}

}  // namespace

const std::vector<SoakKind>& soakKinds() {
  static const std::vector<SoakKind> kinds = makeKinds();
  return kinds;
}

double wantedRunsPerSecond(bool hostile) {
  double rate = 0;
  for (const SoakKind& k : soakKinds()) {
    if (k.hostile == hostile) rate += k.copies / everySeconds(k.every);
  }
  return rate;
}

std::string soakConfig(const SoakSetup& setup, bool withJobs) {
  std::ostringstream cfg;
  cfg << "[general]\nservername = soak\nalertcontact = admin@example.org\nstatefile = " << setup.stateDir
      << "\nplugindir = " << setup.pluginDir << "\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nnomail = yes\n";
  if (!withJobs) return cfg.str();
  for (const SoakKind& k : soakKinds()) {
    for (int copy = 1; copy <= k.copies; ++copy) {
      std::string section = k.name + "-" + std::to_string(copy);
      std::string marker = setup.markerBase + section;
      cfg << "[job " << section << "]\nevery = " << k.every << "\n" << k.limits;
      switch (k.runner) {
        case Runner::exec:
          cfg << "type = exec\ncommand = " << setup.hostile << " " << k.mode << " " << marker << "\n";
          break;
        case Runner::hostilePlugin:
          cfg << "type = HostileCheck\nmode = " << k.mode << "\nhelper = " << setup.hostile << "\nmarker = " << marker
              << "\n";
          break;
        case Runner::throwingPlugin:
          cfg << "type = ThrowingCheck\n";
          break;
        case Runner::tcp:
          cfg << "type = tcp\ntarget = 127.0.0.1:"
              << (k.mode == "listening" ? setup.listeningPort : setup.closedPort) << "\n";
          break;
      }
    }
  }
  return cfg.str();
}

const SoakKind* kindOfJob(const std::string& jobName) {
  std::string section = jobName.substr(0, jobName.find('['));
  size_t dash = section.rfind('-');
  if (dash == std::string::npos) return nullptr;
  std::string name = section.substr(0, dash);
  for (const SoakKind& k : soakKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace checker::bench
