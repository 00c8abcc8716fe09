#include "jobs/child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/sys_error.h"
#include "process/death_signal.h"
#include "jobs/net_connect.h"

namespace checker {
namespace {

struct Pipe {
  UniqueFd read, write;
};

bool makePipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
  return true;
}

// In the forked child: only async-signal-safe calls from here to execve.
[[noreturn]] void execChild(char* const* argv, char* const* envp, int devNull, int output, int errorPipe,
                            pid_t parent) {
  ::setpgid(0, 0);
  if (!armDeathSignal(parent)) ::_exit(127);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for KILL, STOP
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(devNull, 0) < 0 || ::dup2(output, 1) < 0 || ::dup2(output, 2) < 0) {
    int err = errno;
    (void)!::write(errorPipe, &err, sizeof err);
    ::_exit(127);
  }
  // Everything above 2 is closed by execve (the error pipe only then).
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ::execve(argv[0], argv, envp);
  int err = errno;
  (void)!::write(errorPipe, &err, sizeof err);
  ::_exit(127);
}

// One read(2) of FD into the kept output (the first CAP bytes); returns
// what read returned.
ssize_t readOnce(int fd, ChildRun& run, size_t cap) {
  char buffer[16384];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    size_t keep = std::min(static_cast<size_t>(n), cap - run.output.size());
    run.output.append(buffer, keep);
    if (keep < static_cast<size_t>(n)) run.outputTruncated = true;
  }
  return n;
}

// Takes what is already in the pipe, without waiting for more.
void drainNow(int fd, ChildRun& run, size_t cap) {
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  for (;;) {
    ssize_t n = readOnce(fd, run, cap);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    return;
  }
}

bool hasExited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Collects output until the child exits or the deadline passes; kills the
// child's process group either way and reaps the child.
void superviseChild(pid_t pid, UniqueFd output, size_t cap, std::chrono::steady_clock::time_point deadline,
                    ChildRun& run) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  bool exited = false;
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      run.timedOut = !hasExited(pid);
      break;
    }
    int timeout = static_cast<int>(std::min<int64_t>(left.count() + 1, pidfd.valid() ? 3'600'000 : 10));
    pollfd fds[2] = {{output.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) break;
    if (output.valid() && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      ssize_t got = readOnce(output.get(), run, cap);
      if (got == 0 || (got < 0 && errno != EINTR)) output.reset();  // poll skips a negative fd
    }
    exited = pidfd.valid() ? (fds[1].revents & POLLIN) != 0 : hasExited(pid);
  }
  // The leader is a zombie (or still running): its pid still names the group.
  ::kill(-pid, SIGKILL);
  if (output.valid() && !run.timedOut) drainNow(output.get(), run, cap);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = status;
}

}  // namespace

ChildRun runChild(const std::vector<std::string>& argv, const std::vector<std::string>& env, size_t outputCap,
                  std::chrono::steady_clock::time_point deadline) {
  ChildRun run;
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  args.push_back(nullptr);
  envp.push_back(nullptr);
  Pipe output, errors;
  UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (argv.empty() || !devNull.valid() || !makePipe(output) || !makePipe(errors)) {
    run.startError = argv.empty() ? "no command" : describeErrno("pipe", "", errno);
    return run;
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    run.startError = describeErrno("fork", argv[0], errno);
    return run;
  }
  if (pid == 0) execChild(args.data(), envp.data(), devNull.get(), output.write.get(), errors.write.get(), parent);
  output.write.reset();
  errors.write.reset();
  int execErrno = 0;
  ssize_t n;
  while ((n = ::read(errors.read.get(), &execErrno, sizeof execErrno)) < 0 && errno == EINTR) {
  }
  if (n > 0) {  // the exec failed; the child has exited (or is about to)
    run.startError = describeErrno("execve", argv[0], execErrno);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return run;
  }
  superviseChild(pid, std::move(output.read), outputCap, deadline, run);
  return run;
}

}  // namespace checker
