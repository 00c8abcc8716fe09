#pragma once
// The real checker-mailer driven by a test as checkerd drives it
// (supervisor/mail_link.cpp): `checker-mailer -c FILE --parent-pid=PID`
// with an empty environment, the control socket (one end of a socket pair)
// on fd 3, ToMailer messages written to it and FromMailer messages read
// back (ipc/mailer.capnp). Its stderr (the log) is read line by line while
// the test waits. Every wait is bounded; the destructor SIGKILLs its
// process group and reaps it on every path.
#include <capnp/message.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipc/framing.h"
#include "ipc/mailer.capnp.h"

namespace checker::test {

struct MailerSendResult {
  uint64_t entryId = 0;
  bool accepted = false;
  bool permanent = false;
  std::string serverReply;
};

class MailerChild {
 public:
  MailerChild(const std::string& binary, const std::string& configPath) {
    int control[2], log[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0) throw std::runtime_error("socketpair");
    if (::pipe2(log, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    std::string parentArg = "--parent-pid=" + std::to_string(::getpid());
    std::vector<const char*> argv = {binary.c_str(), "-c", configPath.c_str(), parentArg.c_str(), nullptr};
    char* noEnvironment[] = {nullptr};  // as checkerd starts it (process/helper_child.h)
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls: the test has threads (the receiver).
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      // dup2 onto itself would keep FD_CLOEXEC: move it through a free fd first.
      int spare = ::fcntl(control[1], F_DUPFD, 10);
      if (spare < 0 || ::dup2(spare, 3) != 3 || ::dup2(log[1], 2) != 2 || ::dup2(log[1], 1) != 1) ::_exit(127);
      ::execve(argv[0], const_cast<char* const*>(argv.data()), noEnvironment);
      ::_exit(127);
    }
    ::close(control[1]);
    ::close(log[1]);
    control_ = control[0];
    log_ = log[0];
    if (pid_ < 0) throw std::runtime_error("fork failed");
    ::setpgid(pid_, pid_);
  }
  ~MailerChild() {
    if (pid_ > 0 && !reaped_) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (control_ >= 0) ::close(control_);
    if (log_ >= 0) ::close(log_);
  }
  MailerChild(const MailerChild&) = delete;
  MailerChild& operator=(const MailerChild&) = delete;

  void send(capnp::MessageBuilder& message) { ipc::writeMessage(control_, message); }

  // The next SendResult, reading the log meanwhile; nothing after TIMEOUT
  // or when the mailer closed the socket.
  std::optional<MailerSendResult> nextResult(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p[2] = {{control_, POLLIN, 0}, {log_, POLLIN, 0}};
      if (::poll(p, 2, static_cast<int>(left.count())) <= 0) continue;
      if (p[1].revents != 0) readLog();
      if (p[0].revents == 0) continue;
      std::unique_ptr<ipc::DecodedMessage> message = ipc::readMessage(control_);
      if (message == nullptr) return std::nullopt;
      auto root = message->root<ipc::FromMailer>();
      if (!root.isSendResult()) continue;
      auto result = root.getSendResult();
      return MailerSendResult{result.getEntryId(), result.getAccepted(), result.getPermanent(),
                              result.getServerReply().cStr()};
    }
  }

  // Closes the control socket (the mailer then exits 0) and waits up to
  // TIMEOUT for its exit, reading the rest of its log. The wait status, or
  // -1 on timeout.
  int finish(std::chrono::milliseconds timeout) {
    ::close(control_);
    control_ = -1;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto leftMs = [&] {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      return static_cast<int>(std::max<long>(0, left.count()));
    };
    while (readLog(leftMs())) {
    }
    // The exit itself, awaited on a pidfd (readable once the process ended).
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd < 0) return -1;
    pollfd p{pidfd, POLLIN, 0};
    int ready = ::poll(&p, 1, leftMs());
    ::close(pidfd);
    int status = 0;
    if (ready <= 0 || ::waitpid(pid_, &status, WNOHANG) != pid_) return -1;
    reaped_ = true;
    return status;
  }

  const std::vector<std::string>& lines() const { return lines_; }

 private:
  // Reads what the log has within TIMEOUT_MS; false at EOF or timeout.
  bool readLog(int timeoutMs = 0) {
    if (log_ < 0) return false;
    pollfd p{log_, POLLIN, 0};
    if (::poll(&p, 1, timeoutMs) <= 0) return false;
    char buffer[8192];
    ssize_t n = ::read(log_, buffer, sizeof buffer);
    if (n <= 0) return false;
    partial_.append(buffer, static_cast<size_t>(n));
    for (size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
    return true;
  }

  pid_t pid_ = -1;
  int control_ = -1, log_ = -1;
  bool reaped_ = false;
  std::string partial_;
  std::vector<std::string> lines_;
};

}  // namespace checker::test
