#pragma once
// checkerd's whole tree, for killing it at once: its process group (the
// mailer, peerd and the worker launcher share it) and every descendant
// found through /proc's parent links (the workers, each in a session of its
// own, and what an exec job started).
#include <dirent.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace checker::bench {

struct ProcStat {
  pid_t pid = 0, ppid = 0;
  char state = '?';
};

// /proc/PID/stat's state and parent; state '?' when the process is gone.
inline ProcStat readProcStat(pid_t pid) {
  ProcStat s;
  s.pid = pid;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return s;
  size_t close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 4 > text.size()) return s;
  s.state = text[close + 2];
  s.ppid = static_cast<pid_t>(std::atoi(text.c_str() + close + 4));
  return s;
}

// ROOT and every live descendant of it.
inline std::vector<pid_t> processTree(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      ProcStat s = readProcStat(static_cast<pid_t>(std::atoi(e->d_name)));
      if (s.state != '?') children.emplace(s.ppid, s.pid);
    }
    ::closedir(proc);
  }
  std::vector<pid_t> tree{root};
  for (size_t i = 0; i < tree.size(); ++i) {
    auto [from, to] = children.equal_range(tree[i]);
    for (auto it = from; it != to; ++it) tree.push_back(it->second);
  }
  return tree;
}

inline bool alive(pid_t pid) {
  char state = readProcStat(pid).state;
  return state != '?' && state != 'Z' && state != 'X';
}

// SIGKILL to GROUP and to every process of TREE, all within a few system
// calls. A process forked meanwhile by the launcher dies by its death
// signal, which follows the launcher.
inline void killAll(pid_t group, const std::vector<pid_t>& tree) {
  ::kill(-group, SIGKILL);
  for (pid_t pid : tree) ::kill(pid, SIGKILL);
}

// Waits up to TIMEOUT until no process of PIDS is alive; returns those still alive.
inline std::vector<pid_t> waitGone(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<pid_t> left;
    for (pid_t pid : pids) {
      if (alive(pid)) left.push_back(pid);
    }
    if (left.empty() || std::chrono::steady_clock::now() > deadline) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace checker::bench
