#pragma once
// Live processes whose command line contains a marker: how tests prove that
// nothing of a run is left behind (every test process carries a unique
// marker in its arguments), or that run a given program.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace checker::test {

// The whole of a /proc file, "" when it cannot be read. With read(2), not
// ifstream: a process that exits while it is read makes read() fail with
// ESRCH, which libstdc++'s filebuf turns into an exception.
inline std::string readProcFile(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

inline std::vector<std::string> processesWith(const std::string& marker) {
  std::vector<std::string> found;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmdline = readProcFile(std::string("/proc/") + e->d_name + "/cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(marker) != std::string::npos) found.push_back(std::string(e->d_name) + ": " + cmdline);
  }
  if (proc) ::closedir(proc);
  return found;
}

// Live processes whose executable is EXE_PATH (an absolute path, as
// /proc/PID/exe reads), in the same "PID: cmdline" form. Reading another
// user's exe link takes root (or the same user).
inline std::vector<std::string> processesRunning(const std::string& exePath) {
  std::vector<std::string> found;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string dir = std::string("/proc/") + e->d_name;
    char exe[4096];
    ssize_t n = ::readlink((dir + "/exe").c_str(), exe, sizeof exe - 1);
    if (n <= 0 || std::string(exe, static_cast<size_t>(n)) != exePath) continue;
    std::string cmdline = readProcFile(dir + "/cmdline");
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    found.push_back(std::string(e->d_name) + ": " + cmdline);
  }
  if (proc) ::closedir(proc);
  return found;
}

}  // namespace checker::test
