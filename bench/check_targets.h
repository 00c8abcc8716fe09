#pragma once
// What checker-bench-checks measures against: loopback TCP targets served by
// a child process of their own (outside every measured cgroup, so accepting
// is charged to no system under test), targets whose handshake never
// completes, a CPU meter over a cgroup, and the two floors (a TCP
// connect+close, a posix_spawn of a static binary) measured in the same run.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace checker::bench {

// HEALTHY listening sockets on 127.0.0.1 (ephemeral ports, one per job, so
// each job has an id of its own) that a forked child accepts and closes on
// epoll; and HANGING ones whose accept queue is full and never drained, so a
// further SYN is dropped and a connect hangs (checked for each one).
class LoopbackTargets {
 public:
  // Creates the sockets and forks the server. Call before any thread or
  // loop exists and before joining a measured cgroup.
  static Result<std::unique_ptr<LoopbackTargets>> start(int healthy, int hanging);
  ~LoopbackTargets();  // kills and reaps the server

  const std::vector<uint16_t>& healthyPorts() const { return healthy_; }
  const std::vector<uint16_t>& hangingPorts() const { return hanging_; }
  // Connections the server accepted so far (shared memory with the child).
  uint64_t accepted() const { return counter_->load(std::memory_order_relaxed); }
  pid_t pid() const { return pid_; }

 private:
  LoopbackTargets() = default;
  std::vector<uint16_t> healthy_, hanging_;
  std::atomic<uint64_t>* counter_ = nullptr;
  pid_t pid_ = -1;
};

// CPU used by the processes of a cgroup made for the purpose: cpuacct v1
// (cpuacct.usage), else a v2 group (cpu.stat usage_usec), else none.
class CgroupCpu {
 public:
  explicit CgroupCpu(const std::string& name);
  ~CgroupCpu();  // moves what is left to the root group and removes the group
  CgroupCpu(const CgroupCpu&) = delete;
  CgroupCpu& operator=(const CgroupCpu&) = delete;

  bool available() const { return !dir_.empty(); }
  Result<> add(pid_t pid);    // the whole process (cgroup.procs)
  double usageMs() const;     // -1 when not measured
  std::string describe() const;  // where, or "not measured (why)"

 private:
  std::string dir_, root_, why_;
  bool v2_ = false;
};

// CPU time of this process (RUSAGE_SELF) and of the calling thread, in ms.
double selfCpuMs();
double threadCpuMs();
// utime + stime of PID and its reaped children from /proc/PID/stat, in ms.
double procCpuMs(pid_t pid);

struct Floor {
  uint64_t count = 0;
  double cpuUsEach = 0;   // CPU of the calling thread (and the spawned child) per operation
  double wallUsEach = 0;
};
// connect + close to PORTS on 127.0.0.1 in turn, for about MILLIS.
Floor connectFloor(const std::vector<uint16_t>& ports, int millis);
// posix_spawn + waitpid of BINARY (a static no-op) COUNT times; the CPU
// counts the children too.
Floor spawnFloor(const std::string& binary, int count);

}  // namespace checker::bench
