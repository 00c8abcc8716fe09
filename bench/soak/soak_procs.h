#pragma once
// What checker-bench-soak reads in /proc: checkerd's open fds and memory,
// and processes of job runs that outlived their run.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace checker::bench {

// Entries of /proc/PID/fd, or -1 when it cannot be read.
int openFds(pid_t pid);

// A "Key:" line of /proc/PID/status in KiB (VmRSS:, VmHWM:), 0 when absent.
long statusKiB(pid_t pid, const std::string& key);

struct ProcStat {
  char state = '?';        // R, S, Z, ...
  pid_t ppid = 0;
  uint64_t startTicks = 0;  // since boot, in clock ticks
};
// /proc/PID/stat's fields above; nullopt when the process is gone.
std::optional<ProcStat> readStat(pid_t pid);

// True while PID exists and is not a zombie.
bool alive(pid_t pid);

// Processes of job runs left alive after their run ended:
//   - a process carrying the marker of job J (MARKERBASE + J in its command
//     line: every command and child of the soak's jobs) that is still alive
//     when two more runs of J have been recorded since it was first seen
//     (so the run it belonged to, and the next, both ended);
//   - a worker (WORKER_EXE) older than kLongestRunMs plus a margin, other
//     than the launcher and the launcher's youngest child (its spare worker,
//     forked ahead and waiting for a request).
// After checkerd stopped, or while no job is configured, `noneMayRemain`
// counts every such process.
class LeakWatch {
 public:
  LeakWatch(std::string markerBase, std::string workerExe);

  // One scan while checkerd runs; RUNS_OF(section) is that job's count of
  // recorded runs.
  void scan(pid_t checkerd, const std::function<uint64_t(const std::string&)>& runsOf);

  // Processes of the soak's jobs and of checkerd's programs (EXES) still
  // there after a bounded wait (init may take a moment to reap the killed).
  // Returns what remains, and counts it as leaked.
  std::vector<std::string> noneMayRemain(const std::vector<std::string>& exes, int waitMs);

  size_t leaked() const { return leaked_.size(); }
  // One line per leaked process, the first few.
  const std::vector<std::string>& examples() const { return examples_; }

 private:
  void leak(pid_t pid, uint64_t startTicks, const std::string& what);

  std::string markerBase_, workerExe_;
  struct FirstSeen {
    std::string section;
    uint64_t runsThen;
  };
  std::map<std::pair<pid_t, uint64_t>, FirstSeen> seen_;  // by (pid, start time)
  std::set<std::pair<pid_t, uint64_t>> leaked_;
  std::vector<std::string> examples_;
};

}  // namespace checker::bench
