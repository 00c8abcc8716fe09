#pragma once
// A log file another process appends to, read line by line as it grows.
// Waiting is on inotify (IN_MODIFY), so tests wait for the line they need,
// never for a fixed time.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace checker::test {

class LogFile {
 public:
  // PATH need not exist yet: its directory is watched until it does.
  explicit LogFile(std::string path) : path_(std::move(path)) {
    fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd_ < 0) throw std::runtime_error("inotify_init1 failed");
    std::string dir = path_.substr(0, path_.rfind('/'));
    if (::inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MODIFY) < 0) {
      throw std::runtime_error("inotify_add_watch " + dir + " failed");
    }
  }
  ~LogFile() { ::close(fd_); }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Every complete line written so far.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    for (size_t start = 0, nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(all.substr(start, nl - start));
    }
    return out;
  }

  // The first line containing NEEDLE, written before or within TIMEOUT; "" if none.
  std::string waitForLine(const std::string& needle, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (const std::string& line : lines()) {
        if (line.find(needle) != std::string::npos) return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
        char events[4096];
        while (::read(fd_, events, sizeof events) > 0) {
        }
      }
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace checker::test
