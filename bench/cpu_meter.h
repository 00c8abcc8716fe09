#pragma once
// CPU of this process and everything it starts, for the benchmarks: a
// cgroup v1 cpuacct group made for the bench alone (joined before any child
// starts, so the launcher and every worker are in it), else the cgroup v2
// subtree the bench runs in (cpu.stat usage_usec, which counts the run
// cgroups the supervisor makes below it). Kernel work done on a process's
// behalf by kernel threads (kworkers, RCU callbacks) is in neither.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace checker::bench {

class CpuMeter {
 public:
  // Call before starting any child: v1 moves this process into a group of its own.
  CpuMeter() { joinCpuacctV1(); }
  ~CpuMeter() {
    if (v1Dir_.empty()) return;
    writeFile(v1Parent_ + "/cgroup.procs", std::to_string(::getpid()));  // back where it was
    ::rmdir(v1Dir_.c_str());  // EBUSY if a child outlived the bench: left for the operator
  }
  CpuMeter(const CpuMeter&) = delete;
  CpuMeter& operator=(const CpuMeter&) = delete;

  // Without v1: the v2 subtree, looked up now (call it after RunCgroups::detect,
  // which moves this process into <own>/supervisor).
  void useV2IfNeeded() {
    if (!v1Dir_.empty()) return;
    std::string own = ownCgroup("0::");
    std::string mount = cgroup2Mount();
    if (own.empty() || mount.empty()) return;
    const std::string leaf = "/supervisor";
    if (own.size() > leaf.size() && own.compare(own.size() - leaf.size(), leaf.size(), leaf) == 0) {
      own.resize(own.size() - leaf.size());
    }
    std::string stat = mount + (own == "/" ? "" : own) + "/cpu.stat";
    if (readV2(stat) > 0) v2Stat_ = stat;
  }

  bool available() const { return !v1Dir_.empty() || !v2Stat_.empty(); }
  std::string describe() const {
    if (!v1Dir_.empty()) return "cgroup v1 cpuacct " + v1Dir_;
    if (!v2Stat_.empty()) return "cgroup v2 " + v2Stat_;
    return "CPU: not measured (no writable cpuacct v1 hierarchy, no cgroup v2 cpu.stat)";
  }
  // CPU used so far, in nanoseconds (0 when not available).
  uint64_t nanos() const {
    if (!v1Dir_.empty()) {
      std::ifstream in(v1Dir_ + "/cpuacct.usage");
      uint64_t ns = 0;
      in >> ns;
      return ns;
    }
    return v2Stat_.empty() ? 0 : readV2(v2Stat_) * 1000;
  }

 private:
  static bool writeFile(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
  }

  // This process's cgroup path in the hierarchy whose /proc/self/cgroup line starts with PREFIX.
  static std::string ownCgroup(const std::string& prefix) {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
    }
    return "";
  }

  static std::string cgroup2Mount() {
    std::ifstream in("/proc/self/mounts");
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string device, dir, type;
      fields >> device >> dir >> type;
      if (type == "cgroup2") return dir;
    }
    return "";
  }

  static uint64_t readV2(const std::string& stat) {
    std::ifstream in(stat);
    std::string key;
    uint64_t value = 0;
    while (in >> key >> value) {
      if (key == "usage_usec") return value;
    }
    return 0;
  }

  void joinCpuacctV1() {
    std::string own;
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
      // "N:cpuacct:/path" or "N:cpu,cpuacct:/path"
      size_t first = line.find(':'), second = line.find(':', first + 1);
      if (first == std::string::npos || second == std::string::npos) continue;
      std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
      if (controllers.find(",cpuacct,") != std::string::npos) own = line.substr(second + 1);
    }
    if (own.empty()) return;
    for (const char* mount : {"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct"}) {
      std::string parent = std::string(mount) + (own == "/" ? "" : own);
      std::string dir = parent + "/checker-bench-cpu-" + std::to_string(::getpid());
      if (::mkdir(dir.c_str(), 0755) != 0) continue;
      if (!writeFile(dir + "/cgroup.procs", std::to_string(::getpid()))) {
        ::rmdir(dir.c_str());
        continue;
      }
      v1Dir_ = dir;
      v1Parent_ = parent;
      return;
    }
  }

  std::string v1Dir_, v1Parent_;
  std::string v2Stat_;
};

}  // namespace checker::bench
