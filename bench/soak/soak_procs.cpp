#include "bench/soak/soak_procs.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "bench/soak/soak_kinds.h"
#include "support/proc_scan.h"

namespace checker::bench {
namespace {

constexpr size_t kMaxExamples = 20;
constexpr int kWorkerMarginMs = 10'000;

uint64_t nowTicks() {
  double seconds = std::atof(test::readProcFile("/proc/uptime").c_str());
  return static_cast<uint64_t>(seconds * static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

// "PID: cmdline" as test::processesWith gives it.
pid_t pidOf(const std::string& entry) { return static_cast<pid_t>(std::stol(entry.substr(0, entry.find(':')))); }

// The job section in a command line carrying MARKERBASE + SECTION.
std::string sectionIn(const std::string& cmdline, const std::string& markerBase) {
  size_t at = cmdline.find(markerBase);
  if (at == std::string::npos) return "";
  size_t start = at + markerBase.size();
  size_t end = cmdline.find(' ', start);
  return cmdline.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

int openFds(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

long statusKiB(pid_t pid, const std::string& key) {
  std::string status = "\n" + test::readProcFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("\n" + key);
  return at == std::string::npos ? 0 : std::atol(status.c_str() + at + 1 + key.size());
}

std::optional<ProcStat> readStat(pid_t pid) {
  // read(2): a process exiting meanwhile must not throw (see readProcFile).
  std::string text = test::readProcFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = text.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 2));
  ProcStat stat;
  std::string skip;
  fields >> stat.state >> stat.ppid;
  for (int field = 5; field < 22 && fields; ++field) fields >> skip;  // pgrp .. itrealvalue
  fields >> stat.startTicks;
  if (!fields) return std::nullopt;
  return stat;
}

bool alive(pid_t pid) {
  std::optional<ProcStat> stat = readStat(pid);
  return stat && stat->state != 'Z' && stat->state != 'X';
}

LeakWatch::LeakWatch(std::string markerBase, std::string workerExe)
    : markerBase_(std::move(markerBase)), workerExe_(std::move(workerExe)) {}

void LeakWatch::leak(pid_t pid, uint64_t startTicks, const std::string& what) {
  if (!leaked_.insert({pid, startTicks}).second) return;
  if (examples_.size() < kMaxExamples) examples_.push_back(what);
}

void LeakWatch::scan(pid_t checkerd, const std::function<uint64_t(const std::string&)>& runsOf) {
  std::map<std::pair<pid_t, uint64_t>, FirstSeen> still;
  for (const std::string& entry : test::processesWith(markerBase_)) {
    pid_t pid = pidOf(entry);
    std::optional<ProcStat> stat = readStat(pid);
    if (!stat || stat->state == 'Z') continue;
    std::string section = sectionIn(entry, markerBase_);
    std::pair<pid_t, uint64_t> key{pid, stat->startTicks};
    auto known = seen_.find(key);
    FirstSeen first = known != seen_.end() ? known->second : FirstSeen{section, runsOf(section)};
    if (runsOf(section) >= first.runsThen + 2) {
      leak(pid, stat->startTicks, entry + "  (alive after two more runs of " + section + " were recorded)");
    }
    still.emplace(key, first);
  }
  seen_ = std::move(still);

  // Workers: the launcher is checkerd's child, the others the launcher's.
  std::vector<std::pair<std::string, ProcStat>> workers;
  pid_t launcher = 0;
  for (const std::string& entry : test::processesRunning(workerExe_)) {
    std::optional<ProcStat> stat = readStat(pidOf(entry));
    if (!stat || stat->state == 'Z') continue;
    if (stat->ppid == checkerd) {
      launcher = pidOf(entry);
      continue;
    }
    workers.push_back({entry, *stat});
  }
  uint64_t youngest = 0;
  for (const auto& [entry, stat] : workers) {
    if (stat.ppid == launcher && stat.startTicks > youngest) youngest = stat.startTicks;
  }
  uint64_t now = nowTicks(), hz = static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  uint64_t oldest = static_cast<uint64_t>(kLongestRunMs + kWorkerMarginMs) * hz / 1000;
  for (const auto& [entry, stat] : workers) {
    if (stat.ppid == launcher && stat.startTicks == youngest) continue;  // the spare
    if (now - stat.startTicks > oldest) {
      leak(pidOf(entry), stat.startTicks,
           entry + "  (a worker alive for " + std::to_string((now - stat.startTicks) / hz) + " s)");
    }
  }
}

std::vector<std::string> LeakWatch::noneMayRemain(const std::vector<std::string>& exes, int waitMs) {
  std::vector<std::string> left;
  for (int waited = 0;; waited += 50) {
    left = test::processesWith(markerBase_);
    for (const std::string& exe : exes) {
      for (std::string& entry : test::processesRunning(exe)) left.push_back(std::move(entry));
    }
    if (left.empty() || waited >= waitMs) break;
    ::usleep(50'000);
  }
  for (const std::string& entry : left) {
    std::optional<ProcStat> stat = readStat(pidOf(entry));
    leak(pidOf(entry), stat ? stat->startTicks : 0, entry + "  (left when no run was in progress)");
  }
  return left;
}

}  // namespace checker::bench
