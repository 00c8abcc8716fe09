#pragma once
// Per-run cgroups, the supervisor's side (the worker only joins them: see
// worker/sandbox_cgroup.cpp). For each run the supervisor creates the run's
// cgroup(s) and sets their limits BEFORE spawning the worker, passes the
// directories in Sandbox.cgroupDirs, and cleans up after the worker exited:
// whatever the job left behind is killed with the cgroup, never hunted by pid.
//
// Layout (PID: this supervisor's pid; K: a slot number):
//   v2  <own>/supervisor                     the supervisor itself (a leaf:
//                                            "no internal processes")
//       <own>/runs/checker-runs-PID/slot-K   +pids +memory enabled down to here
//   v1  <pids mount>/<own>/checker-runs-PID/slot-K
//       <memory mount>/<own>/checker-runs-PID/slot-K
// where <own> is the supervisor's cgroup from /proc/self/cgroup. A second
// RunCgroups in the same process (a plugin describe during a reload) is
// checker-runs-PID-N: its slots are never the supervisor's.
//
// Slots are reused: making and removing a cgroup costs ~0.6 ms of the
// loop's time on cgroup v1 (mkdir, limits, rmdir, in two hierarchies), more
// than a whole run. A run gets an idle slot (its limits rewritten only when
// they differ), and gives it back once it is empty; up to kMaxIdleSlots
// idle slots are kept, the rest removed. "Empty" includes pids.current: a
// killed process nobody has reaped yet is out of cgroup.procs but still
// counts against pids.max, so such a slot is removed, not reused. A slot's memory events are counted
// from where the previous run left them, so one run's OOM kill is never
// reported for the next.
//
// Limits per run: v2 pids.max, memory.max (+ memory.swap.max 0 and
// memory.oom.group 1: an OOM kill takes the whole run, so the worker dies
// and the run is classified `limit`); v1 pids.max, memory.limit_in_bytes
// (+ memory.memsw.limit_in_bytes, so swap does not extend it). v1 has no
// oom.group: the OOM killer takes one process, usually the job's command,
// and the worker lives to report it as a failure.
//
// Mode none: neither is writable (whyNot says why); the worker then limits
// by rlimits only (RLIMIT_NPROC for processes), which `describe()` says.
//
// All I/O is small synchronous sysfs reads and writes. System-call errors
// are worded "call(path): strerror".
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace checker {

class RunCgroups {
 public:
  enum class Mode { v2, v1, none };

  // Detects and prepares what the machine offers: v2 (a cgroup2 mount whose
  // supervisor cgroup has pids and memory), else v1 (pids and memory
  // hierarchies writable), else none with the reasons in whyNot(). Never
  // fails: none is an answer (the worker then limits by rlimits). v2 moves
  // the calling process into <own>/supervisor.
  static RunCgroups detect();

  RunCgroups(RunCgroups&& other) noexcept;
  RunCgroups& operator=(RunCgroups&& other) noexcept;
  RunCgroups(const RunCgroups&) = delete;
  RunCgroups& operator=(const RunCgroups&) = delete;
  // Removes its own base directories when empty (best effort).
  ~RunCgroups();

  Mode mode() const { return mode_; }
  // Why neither v2 nor v1 could be used ("cgroup v2: ...; cgroup v1: ...");
  // empty unless mode() is none.
  const std::string& whyNot() const { return whyNot_; }
  // One line for logs and `checker status`, e.g.
  // "cgroup v1 (pids, memory) under /sys/fs/cgroup/pids/checker-runs-123 and /sys/fs/cgroup/memory/checker-runs-123".
  std::string describe() const;

  // Gives run RUNID an empty slot with pids.max / memory limit (0 = no
  // limit of that kind). Returns the directories the worker joins, or an
  // Error (nothing is left behind then).
  Result<std::vector<std::string>> createRun(uint64_t runId, uint32_t pidsMax, uint64_t memoryMaxBytes);

  // After the worker exited: SIGKILLs every process left in the run's
  // slot (v2: cgroup.kill when present, else cgroup.procs; v1:
  // cgroup.procs) and gives the slot back once it is empty. Never waits: a
  // process that was just killed may still be exiting, so `removed` is
  // false until a later call finds the slot empty. Safe to call again,
  // also after the release.
  struct Cleanup {
    int processesSeen;  // distinct processes found (and killed) by this call
    bool removed;       // the run holds no cgroup any more
  };
  Cleanup cleanupRun(uint64_t runId);

  // Was run RUNID killed by its memory limit (v2: memory.events oom_kill;
  // v1: memory.oom_control oom_kill, or memory.failcnt on kernels without
  // that line; counted since the run got its slot)? Answers after
  // cleanupRun released the slot too: the answer is recorded then.
  bool runHitMemoryLimit(uint64_t runId) const;

  // Slots kept for reuse; beyond this many idle ones, a released slot is removed.
  static constexpr size_t kMaxIdleSlots = 256;
  size_t idleSlots() const { return idle_.size(); }

  // At start-up: kills and removes the run cgroups left by a previous
  // supervisor (checker-runs-PID of any other pid) under the same parent.
  // A base whose PID is a live process that started before the base was
  // made belongs to a running supervisor (another instance, a test) and is
  // left alone. Waits up to about 2 s for killed processes to exit (via
  // pidfds). Returns the number of directories removed.
  int sweepStale();

 private:
  // One cgroup hierarchy the runs live in: v2 has one with both
  // controllers; v1 one per controller.
  struct Hierarchy {
    bool pids = false;
    bool memory = false;
    std::string base;  // .../checker-runs-PID
  };

  // One reusable set of run cgroups (a directory per hierarchy).
  struct Slot {
    uint32_t number = 0;
    uint32_t pidsMax = 0;            // the limits written last
    uint64_t memoryMaxBytes = 0;
    bool limitsWritten = false;
    long long memoryEventsBefore = 0;  // OOM kills counted before this run
  };

  RunCgroups() = default;
  std::string slotDir(const Hierarchy& hierarchy, uint32_t slot) const;
  Result<> makeSlot(Slot* slot);
  Result<> writeLimits(Slot* slot, uint32_t pidsMax, uint64_t memoryMaxBytes);
  void removeSlot(const Slot& slot);
  long long memoryEvents(const Slot& slot) const;
  bool pidsCharged(const Slot& slot) const;

  Mode mode_ = Mode::none;
  std::vector<Hierarchy> hierarchies_;
  std::string whyNot_;
  std::map<uint64_t, Slot> active_;      // run id -> the slot it holds
  std::vector<Slot> idle_;
  uint32_t nextSlot_ = 1;
  std::map<uint64_t, bool> memoryHits_;  // recorded by cleanupRun at release
};

}  // namespace checker
