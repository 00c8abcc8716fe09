#pragma once
// A program under test (checkerd, usually) in its own process group, with
// its stderr read line by line: tests wait for log lines (events), never for
// fixed sleeps. The destructor SIGKILLs the group and reaps, so a failing
// test leaves nothing running; a test that dies takes the program with it
// (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace checker::test {

class DaemonProcess {
 public:
  // WORKING_DIRECTORY: where it starts (empty: the test's own), for
  // programs given relative paths as an operator would.
  explicit DaemonProcess(const std::vector<std::string>& argv, const std::string& workingDirectory = "") {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls here: the test may have threads.
      ::setpgid(0, 0);
      // Dies with the test, even one that aborts (a sanitizer report, a
      // crash): its children follow their parent, so nothing is left
      // running, holding ports and state, or ctest's output pipe.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      if (!workingDirectory.empty() && ::chdir(workingDirectory.c_str()) != 0) ::_exit(127);
      ::dup2(fds[1], 2);
      ::dup2(fds[1], 1);  // never the test's stdout: ctest waits for it to close
      ::execve(args[0], args.data(), environ);
      static const char kFailed[] = "DaemonProcess: execve failed\n";
      ssize_t ignored = ::write(2, kFailed, sizeof kFailed - 1);
      (void)ignored;
      ::_exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);  // either side may win the race; both set it
    ::close(fds[1]);
    readFd_ = fds[0];
    if (pid_ < 0) throw std::runtime_error("fork for " + argv[0] + " failed");
  }

  ~DaemonProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (readFd_ >= 0) ::close(readFd_);
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& lines() const { return lines_; }

  // The first line (seen before or arriving within TIMEOUT) containing
  // NEEDLE, or "" when none came. Lines before FROM are not searched.
  std::string waitForLine(const std::string& needle, std::chrono::milliseconds timeout, size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (size_t i = from;; ++i) {
      while (i >= lines_.size()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !readMore(static_cast<int>(left.count()))) return "";
      }
      if (lines_[i].find(needle) != std::string::npos) return lines_[i];
    }
  }

  // Reads the log lines already written, without waiting (a long wait
  // elsewhere must not leave the daemon blocked on a full pipe).
  void drain() {
    while (readMore(0)) {
    }
  }

  // Sends SIGNAL and waits up to TIMEOUT for the exit, reading the log
  // meanwhile. Returns the wait status, or -1 on timeout.
  int stop(int signal, std::chrono::milliseconds timeout) {
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        while (readMore(0)) {
        }
        return status;
      }
      readMore(50);  // wakes on log output or after 50 ms to poll the exit
    }
    return -1;
  }

 private:
  // Reads what is available within TIMEOUT_MS; false at EOF or timeout.
  bool readMore(int timeoutMs) {
    pollfd p{readFd_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) return false;
    char buffer[8192];
    ssize_t n = ::read(readFd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    partial_.append(buffer, static_cast<size_t>(n));
    for (size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    return true;
  }

  pid_t pid_ = -1;
  int readFd_ = -1;
  bool reaped_ = false;
  std::string partial_;
  std::vector<std::string> lines_;
};

}  // namespace checker::test
