#pragma once
// Small helpers shared by the benchmark programs.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace checker::bench {

// SIGINT/SIGTERM/SIGHUP set stopSignal (no SA_RESTART: a blocking call
// returns EINTR); the code that waits calls interrupted(), which throws once
// one came, so destructors stop checkerd, wrk, the mail servers.
inline volatile sig_atomic_t stopSignal = 0;

inline void catchStopSignals() {
  struct sigaction action{};
  action.sa_handler = [](int sig) { stopSignal = sig; };
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

inline void interrupted() {
  if (stopSignal != 0) throw std::runtime_error("interrupted by signal " + std::to_string(stopSignal));
}

inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

inline double microsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

// VmRSS of PID in KiB (0 when unknown).
inline long rssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

// The directory of this executable (build/bin).
inline std::string selfDir() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  path[n] = '\0';
  std::string dir(path);
  return dir.substr(0, dir.rfind('/'));
}

// A directory under /tmp named PREFIX-XXXXXX, removed with everything in it
// however its owner's scope ends (an interruption throws).
struct ScopedTempDir {
  explicit ScopedTempDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (const char* made = ::mkdtemp(pattern.data())) path = made;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  std::string path;
};

}  // namespace checker::bench
