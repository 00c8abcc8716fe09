#include "worker_runs/run_cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "common/log.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace checker {
namespace {

constexpr const char* kBasePrefix = "checker-runs-";
constexpr const char* kSlotPrefix = "slot-";
constexpr size_t kMaxRunsRemembered = 1024;  // memoryHits_ entries
constexpr auto kSweepWait = std::chrono::seconds(2);

// ---- small sysfs helpers --------------------------------------------------

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string joinPath(const std::string& dir, const std::string& name) {
  if (name.empty() || name == "/") return dir;
  std::string tail = name.front() == '/' ? name.substr(1) : name;
  return dir.back() == '/' ? dir + tail : dir + "/" + tail;
}

std::string parentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string baseName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

Result<> writeFile(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return Error{describeErrno("open", path, errno)};
  // Writing a v1 memory limit fails with EINTR whenever a signal is pending
  // (SIGCHLD from a finished worker, all the time under load): retry.
  ssize_t written;
  int attempts = 0;
  do {
    written = ::write(fd.get(), data.data(), data.size());
  } while (written < 0 && errno == EINTR && ++attempts < 1000);
  int err = written < 0 ? errno : EIO;
  fd.reset();
  if (written == static_cast<ssize_t>(data.size())) return {};
  Error failed{describeErrno("write", path, err)};
  errno = err;  // for callers that explain particular errors
  return failed;
}

// Whole small file.
Result<std::string> readFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Error{describeErrno("open", path, errno)};
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{describeErrno("read", path, errno)};
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  return text;
}

Result<> makeDir(const std::string& path, bool existingIsFine) {
  if (::mkdir(path.c_str(), 0755) == 0 || (existingIsFine && errno == EEXIST)) return {};
  return Error{describeErrno("mkdir", path, errno)};
}

// rmdir; a directory that is already gone counts as removed.
bool removeDir(const std::string& path) { return ::rmdir(path.c_str()) == 0 || errno == ENOENT; }

std::vector<pid_t> readPids(const std::string& dir) {
  std::vector<pid_t> pids;
  Result<std::string> text = readFile(dir + "/cgroup.procs");
  if (!text) return pids;
  std::istringstream in(*text);
  long pid = 0;
  while (in >> pid) {
    if (pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

std::vector<std::string> subdirectories(const std::string& dir) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return names;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

// The number on the "KEY N" line of a flat-keyed file (memory.events,
// memory.oom_control); -1 when the file or the key is missing.
long long keyedValue(const std::string& path, const std::string& key) {
  Result<std::string> text = readFile(path);
  if (!text) return -1;
  std::istringstream in(*text);
  std::string name;
  long long value = 0;
  while (in >> name >> value) {
    if (name == key) return value;
  }
  return -1;
}

// ---- killing what is in a cgroup ------------------------------------------

int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfdSignal(int pidfd, int sig) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)); }

// SIGKILLs every process listed in DIR/cgroup.procs, adding each to *SEEN.
// A pid is signalled through a pidfd opened before the listing is read a
// second time, and only if that second listing still has it: a pid that was
// reused by an unrelated process in between is never hit. If PIDFDS is
// given, the pidfds of the killed processes are handed over (to wait for
// their exit); otherwise they are closed. Without pidfds (kernel < 5.3) a
// plain kill() is used.
void killListed(const std::string& dir, std::set<pid_t>* seen, std::vector<UniqueFd>* pidfds) {
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<pid_t> listed = readPids(dir);
    if (listed.empty()) return;
    std::vector<std::pair<pid_t, UniqueFd>> opened;
    for (pid_t pid : listed) {
      int fd = pidfdOpen(pid);
      if (fd < 0 && errno == ENOSYS) {
        ::kill(pid, SIGKILL);
        seen->insert(pid);
        continue;
      }
      if (fd >= 0) opened.emplace_back(pid, UniqueFd(fd));
    }
    std::vector<pid_t> still = readPids(dir);
    for (auto& [pid, fd] : opened) {
      bool listedAgain = std::find(still.begin(), still.end(), pid) != still.end();
      if (listedAgain && pidfdSignal(fd.get(), SIGKILL) == 0) {
        seen->insert(pid);
        if (pidfds) pidfds->push_back(std::move(fd));
      }
    }  // the pidfds not handed over close here
  }
}

// Waits (bounded) until every pidfd reports its process gone, then closes them.
void waitForExits(std::vector<UniqueFd>& pidfds, std::chrono::steady_clock::time_point until) {
  std::vector<pollfd> pending;
  for (const UniqueFd& fd : pidfds) pending.push_back({fd.get(), POLLIN, 0});
  while (!pending.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    int ready = ::poll(pending.data(), pending.size(), static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    std::erase_if(pending, [](const pollfd& p) { return p.revents != 0; });
  }
  pidfds.clear();
}

// ---- where we are: /proc/self/cgroup and /proc/self/mountinfo --------------

struct CgroupMount {
  std::string root;        // the part of the hierarchy mounted there
  std::string mountPoint;
};

// Mountinfo escapes blanks as octal (\040).
std::string unescapeMount(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += static_cast<char>(std::strtol(text.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The first mount of FSTYPE ("cgroup2", or "cgroup" with CONTROLLER among its
// super options); nothing when there is none.
std::optional<CgroupMount> findMount(const std::string& fstype, const std::string& controller) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    auto dash = std::find(words.begin(), words.end(), "-");
    if (words.size() < 5 || dash == words.end() || words.end() - dash < 4) continue;
    if (dash[1] != fstype) continue;
    if (!controller.empty()) {
      std::string options = "," + dash[3] + ",";
      if (options.find("," + controller + ",") == std::string::npos) continue;
    }
    return CgroupMount{unescapeMount(words[3]), unescapeMount(words[4])};
  }
  return std::nullopt;
}

// Our cgroup path in the hierarchy with CONTROLLER ("" for the v2 line "0::");
// nothing when we are in none.
std::optional<std::string> ownCgroup(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    bool match = controller.empty() ? (line.substr(0, first) == "0" && controllers.empty())
                                    : ("," + controllers + ",").find("," + controller + ",") != std::string::npos;
    if (match) return line.substr(second + 1);
  }
  return std::nullopt;
}

// Our cgroup's directory in the mounted hierarchy.
Result<std::string> ownCgroupDir(const std::string& fstype, const std::string& controller) {
  std::string what = controller.empty() ? fstype : controller;
  std::optional<CgroupMount> mount = findMount(fstype, controller);
  if (!mount) return Error{"no " + what + " hierarchy mounted"};
  std::optional<std::string> path = ownCgroup(controller);
  if (!path) return Error{"not in a " + what + " cgroup (/proc/self/cgroup)"};
  if (mount->root != "/") {
    if (path->compare(0, mount->root.size(), mount->root) != 0) {
      return Error{"own " + what + " cgroup " + *path + " is outside the mounted part " + mount->root};
    }
    *path = path->substr(mount->root.size());
  }
  return joinPath(mount->mountPoint, *path);
}

// ---- stale bases ------------------------------------------------------------

// When PID started, in clock ticks since boot (field 22 of /proc/PID/stat):
// a fact about the process that no wall-clock step changes. -1 when unknown.
long long processStartTicks(pid_t pid) {
  Result<std::string> statFile = readFile("/proc/" + std::to_string(pid) + "/stat");
  if (!statFile) return -1;
  const std::string& stat = *statFile;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));  // from field 3 (state) on
  std::string field;
  for (int index = 3; index <= 22 && fields >> field; ++index) {
    if (index == 22) return std::atoll(field.c_str());
  }
  return -1;
}

// Seconds since the epoch at which PID started, from the boot time as the
// wall clock sees it now; -1 when unknown. Only for bases named without
// their owner's start (older checkerd): a wall-clock step since the base
// was made shifts this by the step.
long long processStartUnix(pid_t pid) {
  long long ticks = processStartTicks(pid);
  Result<std::string> systemFile = readFile("/proc/stat");
  if (ticks < 0 || !systemFile) return -1;
  size_t at = systemFile->find("\nbtime ");
  if (at == std::string::npos) return -1;
  return std::atoll(systemFile->c_str() + at + 7) + ticks / ::sysconf(_SC_CLK_TCK);
}

// Does the base BASE, named checker-runs-PID.TICKS (TICKS: its owner's
// start, -1 for a name without it), belong to a running process? PID must
// be alive and be the process that made it, not a later one with the same
// pid: the same start ticks; for an old name, started before the base.
bool ownedByLiveProcess(const std::string& base, pid_t pid, long long ownerTicks) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  if (ownerTicks >= 0) {
    long long ticks = processStartTicks(pid);
    return ticks < 0 || ticks == ownerTicks;
  }
  struct stat info {};
  if (::stat(base.c_str(), &info) != 0) return false;
  long long started = processStartUnix(pid);
  return started < 0 || started <= static_cast<long long>(info.st_ctim.tv_sec) + 1;
}

// Kills everything in DIR and below, waits (bounded) for it to exit, then
// removes the directories bottom-up. Returns how many were removed.
int removeTree(const std::string& dir, std::chrono::steady_clock::time_point until) {
  int removed = 0;
  for (const std::string& child : subdirectories(dir)) removed += removeTree(joinPath(dir, child), until);
  std::set<pid_t> seen;
  std::vector<UniqueFd> pidfds;
  killListed(dir, &seen, &pidfds);
  waitForExits(pidfds, until);
  if (removeDir(dir)) {
    ++removed;
  } else {
    CHECKER_LOG_WARN("run cgroups: cannot remove %s yet: %s", dir.c_str(), std::strerror(errno));
  }
  return removed;
}

}  // namespace

// ---- detection ----------------------------------------------------------------

namespace {

// checker-runs-PID.TICKS for the first RunCgroups of this process, then
// checker-runs-PID.TICKS-N: a plugin describe during a reload (on another
// thread) has slots of its own beside the supervisor's. With one shared
// base it took the supervisor's slot-1, and v1's "left by an earlier
// process with our pid" sweep below killed the supervisor's running jobs.
// TICKS, the process's start in clock ticks since boot, tells another
// checkerd's sweep that the base is still ours: comparing the base's
// creation time with our start by the wall clock failed once that clock
// stepped forward, and the sweep removed a live supervisor's runs.
std::string newBaseName() {
  static std::atomic<unsigned> made{0};
  unsigned n = made++;
  std::string name = kBasePrefix + std::to_string(::getpid()) + "." + std::to_string(processStartTicks(::getpid()));
  return n == 0 ? name : name + "-" + std::to_string(n);
}

// Makes DIR (existing is fine) with +pids +memory handed to its children.
Result<> makeDelegatingDir(const std::string& dir) {
  if (Result<> made = makeDir(dir, true); !made) return made;
  return writeFile(dir + "/cgroup.subtree_control", "+pids +memory");
}

// v2: moves the caller into <own>/supervisor and enables +pids +memory down
// to the new base NAME. Returns the base.
Result<std::string> prepareV2(const std::string& name) {
  Result<std::string> ownDir = ownCgroupDir("cgroup2", "");
  if (!ownDir) return ownDir;
  std::string own = *ownDir;
  // Already moved into our leaf (an earlier detect in this process, or a
  // restarted supervisor placed there): the delegated cgroup is its parent.
  if (baseName(own) == "supervisor" && exists(parentOf(own) + "/runs")) own = parentOf(own);
  Result<std::string> controllersFile = readFile(own + "/cgroup.controllers");
  if (!controllersFile) return controllersFile;
  std::string controllers = *controllersFile;
  while (!controllers.empty() && controllers.back() == '\n') controllers.pop_back();
  std::string padded = " " + controllers + " ";
  if (padded.find(" pids ") == std::string::npos || padded.find(" memory ") == std::string::npos) {
    return Error{"controllers pids and memory not both available in " + own + " (it has: " + controllers + ")"};
  }
  std::string leaf = own + "/supervisor";
  std::optional<std::string> mine = ownCgroup("");
  bool isRoot = !mine || *mine == "/";
  if (!isRoot) {
    // "No internal processes": a cgroup that hands controllers to its
    // children holds no processes itself.
    if (Result<> made = makeDir(leaf, true); !made) return Error{made.error()};
    if (Result<> moved = writeFile(leaf + "/cgroup.procs", std::to_string(::getpid())); !moved) {
      return Error{moved.error()};
    }
  }
  std::string runs = own + "/runs";
  std::string base = runs + "/" + name;
  if (Result<> enabled = writeFile(own + "/cgroup.subtree_control", "+pids +memory"); !enabled) {
    int err = errno;
    if (err == EBUSY) return Error{enabled.error() + " (other processes share the supervisor's cgroup)"};
    return Error{enabled.error()};
  }
  if (Result<> made = makeDelegatingDir(runs); !made) return Error{made.error()};
  if (Result<> made = makeDelegatingDir(base); !made) return Error{made.error()};
  return base;
}

// v1: makes <mount>/<own>/NAME in the hierarchy of CONTROLLER; returns it.
Result<std::string> prepareV1(const std::string& controller, const std::string& probeFile, const std::string& name) {
  Result<std::string> own = ownCgroupDir("cgroup", controller);
  if (!own) return own;
  std::string base = joinPath(*own, name);
  if (::mkdir(base.c_str(), 0755) != 0) {
    if (errno != EEXIST) return Error{describeErrno("mkdir", base, errno)};
    // Left by an earlier process with our pid: its runs are stale.
    for (const std::string& child : subdirectories(base)) {
      std::set<pid_t> seen;
      killListed(joinPath(base, child), &seen, nullptr);
      removeDir(joinPath(base, child));
    }
  }
  if (!exists(base + "/" + probeFile)) {
    removeDir(base);
    return Error{base + " has no " + probeFile};
  }
  return base;
}

}  // namespace

RunCgroups RunCgroups::detect() {
  RunCgroups cgroups;
  std::string name = newBaseName();
  Result<std::string> v2 = prepareV2(name);
  if (v2) {
    cgroups.mode_ = Mode::v2;
    cgroups.hierarchies_.push_back({true, true, *v2});
    return cgroups;
  }
  Result<std::string> pidsBase = prepareV1("pids", "pids.max", name);
  std::string whyV1 = pidsBase.error();
  if (pidsBase) {
    Result<std::string> memoryBase = prepareV1("memory", "memory.limit_in_bytes", name);
    if (memoryBase) {
      cgroups.mode_ = Mode::v1;
      cgroups.hierarchies_.push_back({true, false, *pidsBase});
      cgroups.hierarchies_.push_back({false, true, *memoryBase});
      return cgroups;
    }
    whyV1 = memoryBase.error();
    removeDir(*pidsBase);
  }
  cgroups.whyNot_ = "cgroup v2: " + v2.error() + "; cgroup v1: " + whyV1;
  return cgroups;
}

RunCgroups::RunCgroups(RunCgroups&& other) noexcept
    : mode_(std::exchange(other.mode_, Mode::none)),
      hierarchies_(std::exchange(other.hierarchies_, {})),
      whyNot_(std::move(other.whyNot_)),
      active_(std::move(other.active_)),
      idle_(std::move(other.idle_)),
      nextSlot_(other.nextSlot_),
      memoryHits_(std::move(other.memoryHits_)) {}

RunCgroups& RunCgroups::operator=(RunCgroups&& other) noexcept {
  if (this != &other) {
    RunCgroups old(std::move(*this));  // its destructor removes our bases
    mode_ = std::exchange(other.mode_, Mode::none);
    hierarchies_ = std::exchange(other.hierarchies_, {});
    whyNot_ = std::move(other.whyNot_);
    active_ = std::move(other.active_);
    idle_ = std::move(other.idle_);
    nextSlot_ = other.nextSlot_;
    memoryHits_ = std::move(other.memoryHits_);
  }
  return *this;
}

RunCgroups::~RunCgroups() {
  for (const Slot& slot : idle_) removeSlot(slot);
  for (const auto& [runId, slot] : active_) removeSlot(slot);  // best effort: a run still going keeps its own
  for (const Hierarchy& hierarchy : hierarchies_) ::rmdir(hierarchy.base.c_str());
}

std::string RunCgroups::describe() const {
  switch (mode_) {
    case Mode::v2:
      return "cgroup v2 (pids, memory) under " + hierarchies_[0].base;
    case Mode::v1:
      return "cgroup v1 (pids, memory) under " + hierarchies_[0].base + " and " + hierarchies_[1].base;
    case Mode::none:
      break;
  }
  return "no per-run cgroups (" + whyNot_ + "); limits by rlimits only";
}

std::string RunCgroups::slotDir(const Hierarchy& hierarchy, uint32_t slot) const {
  return hierarchy.base + "/" + kSlotPrefix + std::to_string(slot);
}

// ---- slots --------------------------------------------------------------------

Result<> RunCgroups::makeSlot(Slot* slot) {
  slot->number = nextSlot_++;
  std::vector<std::string> made;
  for (const Hierarchy& hierarchy : hierarchies_) {
    std::string dir = slotDir(hierarchy, slot->number);
    if (Result<> created = makeDir(dir, false); !created) {
      for (const std::string& undo : made) removeDir(undo);
      return created;
    }
    made.push_back(dir);
    if (mode_ != Mode::v2 || !hierarchy.memory) continue;
    // Set once per slot: an OOM kill takes the whole run; no swap.
    Result<> set;
    if (exists(dir + "/memory.swap.max")) set = writeFile(dir + "/memory.swap.max", "0");
    if (set && exists(dir + "/memory.oom.group")) set = writeFile(dir + "/memory.oom.group", "1");
    if (!set) {
      for (const std::string& undo : made) removeDir(undo);
      return set;
    }
  }
  return {};
}

Result<> RunCgroups::writeLimits(Slot* slot, uint32_t pidsMax, uint64_t memoryMaxBytes) {
  if (slot->limitsWritten && slot->pidsMax == pidsMax && slot->memoryMaxBytes == memoryMaxBytes) return {};
  bool previousKnown = slot->limitsWritten;
  slot->limitsWritten = false;  // until every write below went through
  for (const Hierarchy& hierarchy : hierarchies_) {
    std::string dir = slotDir(hierarchy, slot->number);
    std::string pids = pidsMax == 0 ? "max" : std::to_string(pidsMax);
    if (hierarchy.pids) {
      if (Result<> written = writeFile(dir + "/pids.max", pids); !written) return written;
    }
    if (!hierarchy.memory) continue;
    if (mode_ == Mode::v2) {
      if (Result<> written = writeFile(dir + "/memory.max", memoryMaxBytes == 0 ? "max" : std::to_string(memoryMaxBytes));
          !written) {
        return written;
      }
      continue;
    }
    // v1: memsw (memory + swap) must stay >= the memory limit, and equal
    // means no swap; so raise in the order that keeps that true.
    std::string bytes = memoryMaxBytes == 0 ? "-1" : std::to_string(memoryMaxBytes);
    std::string memory = dir + "/memory.limit_in_bytes", memsw = dir + "/memory.memsw.limit_in_bytes";
    // A fresh slot starts unlimited in both: lowering. 0 is unlimited.
    auto effective = [](uint64_t limit) { return limit == 0 ? UINT64_MAX : limit; };
    bool raising = previousKnown && effective(memoryMaxBytes) > effective(slot->memoryMaxBytes);
    bool haveMemsw = exists(memsw);
    Result<> written;
    if (raising && haveMemsw) written = writeFile(memsw, bytes);
    if (written) written = writeFile(memory, bytes);
    if (written && !raising && haveMemsw) written = writeFile(memsw, bytes);
    if (!written) return written;
  }
  slot->pidsMax = pidsMax;
  slot->memoryMaxBytes = memoryMaxBytes;
  slot->limitsWritten = true;
  return {};
}

void RunCgroups::removeSlot(const Slot& slot) {
  for (const Hierarchy& hierarchy : hierarchies_) removeDir(slotDir(hierarchy, slot.number));
}

// Does the slot's pids.current still count processes (also exited ones that
// are not reaped yet)? Unknown counts as no.
bool RunCgroups::pidsCharged(const Slot& slot) const {
  for (const Hierarchy& hierarchy : hierarchies_) {
    if (!hierarchy.pids) continue;
    if (Result<std::string> current = readFile(slotDir(hierarchy, slot.number) + "/pids.current"); current) {
      return std::atoll(current->c_str()) > 0;
    }
  }
  return false;
}

// OOM kills (or, on old v1 kernels, limit hits) the slot has seen in all.
long long RunCgroups::memoryEvents(const Slot& slot) const {
  for (const Hierarchy& hierarchy : hierarchies_) {
    if (!hierarchy.memory) continue;
    std::string dir = slotDir(hierarchy, slot.number);
    if (mode_ == Mode::v2) return keyedValue(dir + "/memory.events", "oom_kill");
    long long kills = keyedValue(dir + "/memory.oom_control", "oom_kill");
    if (kills >= 0) return kills;
    // Kernels before 4.13 have no oom_kill line: hitting the limit at all is
    // the best hint left.
    Result<std::string> failcnt = readFile(dir + "/memory.failcnt");
    return failcnt ? std::atoll(failcnt->c_str()) : -1;
  }
  return -1;
}

// ---- one run ------------------------------------------------------------------

Result<std::vector<std::string>> RunCgroups::createRun(uint64_t runId, uint32_t pidsMax, uint64_t memoryMaxBytes) {
  if (mode_ == Mode::none) return Error{"no run cgroups: " + whyNot_};
  if (active_.count(runId) != 0) return Error{"run " + std::to_string(runId) + " already has its cgroups"};
  Slot slot;
  if (!idle_.empty()) {
    slot = idle_.back();
    idle_.pop_back();
  } else if (Result<> made = makeSlot(&slot); !made) {
    return Error{made.error()};
  }
  if (Result<> limited = writeLimits(&slot, pidsMax, memoryMaxBytes); !limited) {
    removeSlot(slot);  // in an unknown state now: not reused
    return Error{limited.error()};
  }
  std::vector<std::string> dirs;
  for (const Hierarchy& hierarchy : hierarchies_) dirs.push_back(slotDir(hierarchy, slot.number));
  active_[runId] = slot;
  return dirs;
}

RunCgroups::Cleanup RunCgroups::cleanupRun(uint64_t runId) {
  auto found = active_.find(runId);
  if (found == active_.end()) return {0, true};
  Slot& slot = found->second;
  std::set<pid_t> seen;
  for (const Hierarchy& hierarchy : hierarchies_) {
    std::string dir = slotDir(hierarchy, slot.number);
    std::string kill = dir + "/cgroup.kill";
    if (mode_ == Mode::v2 && exists(kill)) {
      for (pid_t pid : readPids(dir)) seen.insert(pid);
      if (!seen.empty()) (void)writeFile(kill, "1");  // what is left is found and killed again next call
    } else {
      killListed(dir, &seen, nullptr);
    }
  }
  if (!seen.empty()) return {static_cast<int>(seen.size()), false};  // released once they are gone
  long long events = memoryEvents(slot);
  memoryHits_[runId] = events > slot.memoryEventsBefore;
  while (memoryHits_.size() > kMaxRunsRemembered) memoryHits_.erase(memoryHits_.begin());
  slot.memoryEventsBefore = events;
  // Killed processes not yet reaped (a job's orphans wait for init) have
  // left cgroup.procs but still count in pids.current: reused now, the slot
  // would give the next run fewer processes than its limit. Removed instead
  // (rmdir works while they are still charged); the next run gets a new one.
  if (!pidsCharged(slot) && idle_.size() < kMaxIdleSlots) {
    idle_.push_back(slot);
  } else {
    removeSlot(slot);
  }
  active_.erase(found);
  return {0, true};
}

bool RunCgroups::runHitMemoryLimit(uint64_t runId) const {
  if (auto found = active_.find(runId); found != active_.end()) {
    return memoryEvents(found->second) > found->second.memoryEventsBefore;
  }
  auto recorded = memoryHits_.find(runId);
  return recorded != memoryHits_.end() && recorded->second;
}

int RunCgroups::sweepStale() {
  int removed = 0;
  auto until = std::chrono::steady_clock::now() + kSweepWait;
  for (const Hierarchy& hierarchy : hierarchies_) {
    std::string parent = parentOf(hierarchy.base);
    for (const std::string& name : subdirectories(parent)) {
      std::string base = joinPath(parent, name);
      if (name.rfind(kBasePrefix, 0) != 0 || base == hierarchy.base) continue;
      // checker-runs-PID.TICKS[-N], or checker-runs-PID[-N] from before TICKS.
      char* end = nullptr;
      long pid = std::strtol(name.c_str() + std::char_traits<char>::length(kBasePrefix), &end, 10);
      long long ticks = -1;
      if (*end == '.') ticks = std::strtoll(end + 1, &end, 10);
      if ((*end != '\0' && *end != '-') || pid <= 0) continue;
      if (ownedByLiveProcess(base, static_cast<pid_t>(pid), ticks)) continue;
      CHECKER_LOG_INFO("run cgroups: removing %s, left by supervisor %ld", base.c_str(), pid);
      removed += removeTree(base, until);
    }
  }
  return removed;
}

}  // namespace checker
