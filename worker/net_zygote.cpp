#include "worker/net_zygote.h"

#include <dlfcn.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/sys_error.h"
#include "ipc/fd_passing.h"
#include "process/death_signal.h"
#include "process/exit_codes.h"

namespace checker::worker {
namespace {

// The same path the worker opens (jobs/net_jobs_loader.cpp): its dlopen in
// a spare then finds the module loaded.
void preloadNetJobs() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  std::string path(self);
  path.resize(path.rfind('/'));
  path += "/checker-net-jobs.so";
  void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    CHECKER_LOG_WARN("launcher: %s not preloaded (%s): each http and tls_cert run loads it", path.c_str(), ::dlerror());
    return;
  }
  // What the http job's first run would do (its call_once then only counts).
  using GlobalInit = int (*)(long);
  if (auto init = reinterpret_cast<GlobalInit>(::dlsym(module, "curl_global_init"))) init(3 /* CURL_GLOBAL_DEFAULT */);
}

// One spare: cloned as the launcher's child; the answer is its pid (or
// -errno) with the launcher's end of its channel.
void answerOne(int channel, const NetZygote::Hooks& hooks, bool pidNamespace) {
  int pair[2];
  int answer = 0;
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    answer = -errno;
    (void)::send(channel, &answer, sizeof answer, MSG_NOSIGNAL);
    return;
  }
  UniqueFd launcherEnd(pair[0]), spareEnd(pair[1]);
  unsigned long flags = CLONE_PARENT | SIGCHLD | (pidNamespace ? CLONE_NEWPID : 0);
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, 0));
  if (pid == 0) {
    ::close(channel);
    launcherEnd.reset();
    hooks.becomeSpare(hooks.context, std::move(spareEnd));
    ::_exit(kExitParentGone);  // not reached
  }
  answer = pid > 0 ? pid : -errno;
  int fd = launcherEnd.get();
  (void)ipc::sendWithFds(channel, &answer, sizeof answer, pid > 0 ? &fd : nullptr, pid > 0 ? 1 : 0, MSG_NOSIGNAL);
}

[[noreturn]] void serve(int channel, pid_t launcher, const NetZygote::Hooks& hooks, bool pidNamespace) {
  if (!armDeathSignal(launcher)) ::_exit(kExitParentGone);
  hooks.inZygote(hooks.context);
  preloadNetJobs();
  for (;;) {
    char request = 0;
    ssize_t got = ::recv(channel, &request, 1, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) ::_exit(kExitOk);  // the launcher is done or gone
    answerOne(channel, hooks, pidNamespace);
  }
}

}  // namespace

Result<NetZygote> NetZygote::start(Hooks hooks, bool pidNamespace) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Error{describeErrno("socketpair", "net zygote", errno)};
  }
  UniqueFd ours(pair[0]), theirs(pair[1]);
  pid_t launcher = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Error{describeErrno("fork", "net zygote", errno)};
  if (pid == 0) {
    ours.reset();
    serve(theirs.get(), launcher, hooks, pidNamespace);
  }
  NetZygote zygote;
  zygote.pid_ = pid;
  zygote.channel_ = std::move(ours);
  return zygote;
}

Result<ForkedSpare> NetZygote::makeSpare() {
  char request = 's';
  if (::send(channel_.get(), &request, 1, MSG_NOSIGNAL) != 1) {
    return Error{describeErrno("send", "net zygote", errno)};
  }
  int answer = 0;
  std::vector<int> fds;
  bool truncated = false;
  ssize_t got;
  while ((got = ipc::receiveWithFds(channel_.get(), &answer, sizeof answer, &fds, &truncated)) < 0 && errno == EINTR) {
  }
  ForkedSpare spare;
  if (!fds.empty()) spare.channel.reset(fds[0]);
  for (size_t i = 1; i < fds.size(); ++i) UniqueFd extra(fds[i]);
  if (got != static_cast<ssize_t>(sizeof answer)) return Error{"net zygote: no answer (it is gone)"};
  if (answer <= 0 || !spare.channel.valid()) return Error{describeErrno("clone", "spare from the net zygote", -answer)};
  spare.pid = answer;
  return spare;
}

}  // namespace checker::worker
