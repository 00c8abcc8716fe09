#pragma once
// An owned file descriptor, closed exactly once: when its owner goes, or
// when it is reset. Every fd checker opens and keeps is held in one, so an
// early return cannot leak it. Header-only and in common/, the lowest
// folder, because every folder owns fds (config reads a file, log opens
// one, the worker and the job code hold sockets).
#include <unistd.h>

#include <utility>

namespace checker {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives the fd up without closing it (to a call that takes ownership).
  int release() { return std::exchange(fd_, -1); }
  // Closes the fd held, if any, and holds FD instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace checker
