#include "worker/launcher.h"

#include <capnp/message.h>
#include <dlfcn.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "common/sys_error.h"
#include "process/death_signal.h"
#include "common/unique_fd.h"
#include "ipc/fd_passing.h"
#include "ipc/framing.h"
#include "ipc/launcher.capnp.h"
#include "worker/net_zygote.h"
#include "worker/one_request.h"
#include "worker/process_setup.h"
#include "worker/run_namespaces.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

// A control message is a few dozen bytes; anything bigger is not ours.
constexpr size_t kMaxControlBytes = 512;
constexpr size_t kRunFds = 3;
// Spares kept ready. An isolated run's spare takes a while to make (a
// clone into new namespaces, its mounts, a second fork): one made while a
// run goes is often not ready for the very next run on a busy machine.
constexpr size_t kSpares = 2;  // stdin, stdout, stderr of the run
static_assert(kRunFds <= ipc::kMaxPassedFds, "one message carries a run's descriptors");

class Launcher {
  struct Spare;

 public:
  Launcher(int control, UniqueFd childSignals) : control_(control), childSignals_(std::move(childSignals)) {
    if (!namespaces_) return;
    Result<int> shared = prepareSharedNamespace();
    if (shared) {
      sharedNamespace_.reset(*shared);
    } else {  // built-in network runs get an exec or plugin run's namespaces then
      CHECKER_LOG_WARN("launcher: no shared namespace for built-in network runs: %s", shared.error().c_str());
    }
  }

  // Before any spare: the zygote holds nothing of theirs.
  void startZygote() {
    NetZygote::Hooks hooks{&Launcher::inZygote, &Launcher::becomeZygoteSpare, this};
    Result<NetZygote> zygote = NetZygote::start(hooks, namespaces_);
    if (zygote) {
      zygote_ = std::move(*zygote);
    } else {
      CHECKER_LOG_WARN("launcher: %s: http and tls_cert runs load checker-net-jobs.so each", zygote.error().c_str());
    }
  }

  // Returns the exit code once the socket has ended.
  int serve() {
    startZygote();
    makeSpare();
    std::vector<pollfd> fds;
    std::vector<pid_t> inits;  // whose status channel each fds[2 + i] is
    for (;;) {
      fds.assign({{control_.get(), POLLIN, 0}, {childSignals_.get(), POLLIN, 0}});
      inits.clear();
      for (const auto& [pid, channel] : statusChannels_) {
        fds.push_back({channel.get(), POLLIN, 0});
        inits.push_back(pid);
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        CHECKER_LOG_ERROR("launcher: %s", describeErrno("poll", "", errno).c_str());
        return stopAll(kExitParentGone);
      }
      for (size_t i = 0; i < inits.size(); ++i) {
        if (fds[2 + i].revents != 0) workerEnded(inits[i]);
      }
      if (fds[1].revents != 0) reapExited();
      if (fds[0].revents != 0 && !receive()) return stopAll(kExitOk);
    }
  }

 private:
  // One datagram from the supervisor; false when the socket has ended.
  bool receive() {
    char data[kMaxControlBytes];
    std::vector<int> received;
    bool truncated = false;
    ssize_t got = ipc::receiveWithFds(control_.get(), data, sizeof data, &received, &truncated);
    std::vector<UniqueFd> fds = adopt(received);  // closed on every way out but a start
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) return true;
      CHECKER_LOG_ERROR("launcher: %s", describeErrno("recvmsg", "control socket", errno).c_str());
      return false;
    }
    if (got == 0) return false;
    if (truncated) {
      CHECKER_LOG_ERROR("launcher: a control message was cut short (%zd bytes); ignored", got);
      return true;
    }
    try {
      auto decoded = ipc::decode(std::string_view(data, static_cast<size_t>(got)), kMaxControlBytes);
      auto request = decoded->root<ipc::ToLauncher>();
      if (request.isStart()) {
        start(request.getStart(), fds, spares_);
      } else if (request.isStartBuiltIn()) {
        start(request.getStartBuiltIn(), fds, oneProcessSpares_);
      } else if (request.isStartNet()) {
        start(request.getStartNet(), fds, zygote_.running() ? netSpares_ : oneProcessSpares_);
      } else {
        kill(request.getKill());
      }
    } catch (const std::exception& e) {
      CHECKER_LOG_ERROR("launcher: bad control message: %s", e.what());
    }
    return true;
  }

  // POOL: the spares for the run's type (worker_runs/builtin_network_types.h).
  // Any spare can serve any run (a one-process spare settles an exec run's
  // namespaces after the request), only at a different cost.
  void start(uint64_t runId, std::vector<UniqueFd>& fds, std::deque<Spare>& pool) {
    if (fds.size() != kRunFds) {
      return notStarted(runId, "the start message carried " + std::to_string(fds.size()) + " descriptors, not 3");
    }
    pid_t pid = handToSpare(pool, fds);
    if (pid == 0) {  // no spare was ready: one now, for this run
      makeSpare();
      pid = handToSpare(pool, fds);
    }
    if (pid == 0) pid = handToSpare(spares_, fds);  // the zygote is gone
    fds.clear();  // the worker has its own copies
    if (pid == 0) return notStarted(runId, spareError_.empty() ? "no worker could be forked" : spareError_);
    runs_[pid] = runId;
    pids_[runId] = pid;
    capnp::MallocMessageBuilder builder(64);  // a control message is a few dozen bytes
    auto started = builder.initRoot<ipc::FromLauncher>().initStarted();
    started.setRunId(runId);
    started.setPid(pid);
    send(builder);
    makeSpare();  // while this run goes: the next one finds it ready
  }

  // The run's descriptors become stdin, stdout and stderr; then the request
  // is answered. All received descriptors are above 3 (0-3 are open in the
  // launcher), so none is overwritten before it is moved into place.
  [[noreturn]] static void runWith(std::vector<UniqueFd> fds, const Result<>& session) {
    for (int target = 0; target < static_cast<int>(kRunFds); ++target) {
      if (::dup2(fds[static_cast<size_t>(target)].get(), target) < 0) ::_exit(kExitBadRequest);
    }
    fds.clear();  // moved into place
    int code = answerOneRequest(session);
    // _exit: the launcher's exit handlers are not this run's to run; only
    // what the job left in stdio is flushed.
    std::fflush(nullptr);
    ::_exit(code);
  }

  // ---- the spare: the next run's worker, forked ahead -------------------
  //
  // Forking, the death signal, the session and the signal reset take a
  // good part of a run's start; a spare has done them before the request
  // comes, and waits on a socket of its own for the run's descriptors. It
  // knows nothing of any run until then.

  void makeSpare() {
    while (spares_.size() < kSpares && makeOneSpare(false)) {
    }
    while (oneProcessSpares_.size() < kSpares && makeOneSpare(true)) {
    }
    while (zygote_.running() && netSpares_.size() < kSpares) {
      Result<ForkedSpare> spare = zygote_.makeSpare();
      if (!spare) {
        spareError_ = spare.error();
        break;
      }
      netSpares_.push_back({spare->pid, std::move(spare->channel), namespaces_});
    }
  }

  // In the zygote, just forked: the launcher's sockets and its spares' channels are not its to hold.
  static void inZygote(void* self) {
    auto* launcher = static_cast<Launcher*>(self);
    launcher->control_.reset();
    launcher->childSignals_.reset();
    for (Spare& spare : launcher->spares_) spare.channel.reset();
    for (Spare& spare : launcher->oneProcessSpares_) spare.channel.reset();
    launcher->statusChannels_.clear();
  }

  // In a spare the zygote forked (the launcher's child, CLONE_PARENT).
  [[noreturn]] static void becomeZygoteSpare(void* self, UniqueFd channel) {
    auto* launcher = static_cast<Launcher*>(self);
    for (Spare& spare : launcher->netSpares_) spare.channel.reset();
    if (launcher->namespaces_) launcher->becomeSparePidOne(std::move(channel));
    launcher->sharedNamespace_.reset();
    launcher->becomeSpare(std::move(channel), launcher->launcherPid_);
  }

  // ONE_PROCESS: a spare that is pid 1 of its pid namespace alone (for
  // built-in network runs); else, with namespaces, the init and worker of
  // an exec or plugin run's namespaces, mounted ahead.
  bool makeOneSpare(bool oneProcess) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      spareError_ = describeErrno("socketpair", "spare", errno);
      return false;
    }
    UniqueFd ours(pair[0]), theirs(pair[1]);
    pid_t launcher = ::getpid();
    bool init = namespaces_;
    pid_t pid = !init ? ::fork() : oneProcess ? cloneIntoPidNamespace() : cloneIntoNamespaces();
    if (pid < 0 && init && (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS)) {
      // Not allowed here (a unit's RestrictNamespaces=, a container): said
      // once; runs that ask for isolation then fail in their sandbox step.
      CHECKER_LOG_WARN("launcher: %s: runs get no namespaces of their own",
                       describeErrno("clone", oneProcess ? "CLONE_NEWPID" : "CLONE_NEWPID|CLONE_NEWNS", errno).c_str());
      namespaces_ = init = false;
      pid = ::fork();
    }
    if (pid == 0) {
      ours.reset();
      for (Spare& other : spares_) other.channel.reset();  // theirs to end, not ours to hold
      for (Spare& other : oneProcessSpares_) other.channel.reset();
      for (Spare& other : netSpares_) other.channel.reset();
      zygote_.lost();
      if (init && oneProcess) becomeSparePidOne(std::move(theirs));
      if (init) becomeSpareInit(std::move(theirs));
      sharedNamespace_.reset();
      becomeSpare(std::move(theirs), launcher);
    }
    int err = errno;
    theirs.reset();
    if (pid < 0) {
      spareError_ = describeErrno(init ? "clone" : "fork", "worker", err);
      return false;
    }
    (oneProcess ? oneProcessSpares_ : spares_).push_back({pid, std::move(ours), init});
    return true;
  }

  // pid 1 of an exec or plugin run's namespaces (worker/run_namespaces.h),
  // made ahead. Its session and group are the run's: killing the group,
  // or init alone, ends the run. Its parent check is the channel: if the
  // launcher died before the death signal was armed, the worker reads
  // end-of-file and both exit.
  [[noreturn]] void becomeSpareInit(UniqueFd channel) {
    control_.reset();
    childSignals_.reset();
    sharedNamespace_.reset();
    armDeathSignal();
    Result<> session = ensureOwnSession();
    Result<> scaffolding = mountScaffolding();
    pid_t worker = ::fork();
    if (worker < 0) ::_exit(kExitParentGone);
    if (worker > 0) serveAsInit(worker, channel.get());
    isolation().inside = true;
    isolation().scaffolding = scaffolding;
    watchParent(1);
    resetInheritedSignals();
    std::vector<UniqueFd> fds = receiveFds(channel.get());
    channel.reset();
    if (fds.size() != kRunFds) ::_exit(kExitBadRequest);
    runWith(std::move(fds), session);
  }

  [[noreturn]] void becomeSpare(UniqueFd channel, pid_t launcher) {
    control_.reset();
    childSignals_.reset();
    Result<> session = prepareWorkerProcess(launcher);
    std::vector<UniqueFd> fds = receiveFds(channel.get());
    channel.reset();
    if (fds.size() != kRunFds) ::_exit(kExitBadRequest);  // the launcher is gone or never sent
    runWith(std::move(fds), session);
  }

  // pid 1 of the run's pid namespace (worker/run_namespaces.h). Its session
  // and group are the run's: killing the group ends the run. Once the
  // request is read it stays the worker (a built-in network type) or
  // becomes the init of an exec or plugin run (settleRunNamespaces), which
  // reports the worker's end on the channel. Its parent is outside the
  // namespace (getppid() is 0); the parent check is the channel: if the
  // launcher died before the death signal was armed, it reads end-of-file.
  [[noreturn]] void becomeSparePidOne(UniqueFd channel) {
    control_.reset();
    childSignals_.reset();
    Result<> session = prepareWorkerProcess(0);
    std::vector<UniqueFd> fds = receiveFds(channel.get());
    if (fds.size() != kRunFds) ::_exit(kExitBadRequest);
    Isolation& state = isolation();
    state.unsettled = true;
    state.statusChannel = channel.release();
    state.sharedNamespace = sharedNamespace_.release();
    runWith(std::move(fds), session);
  }

  static std::vector<UniqueFd> receiveFds(int channel) {
    char byte;
    std::vector<int> fds;
    bool truncated = false;
    while (ipc::receiveWithFds(channel, &byte, 1, &fds, &truncated) < 0 && errno == EINTR) {
    }
    return adopt(fds);
  }

  static std::vector<UniqueFd> adopt(const std::vector<int>& fds) {
    std::vector<UniqueFd> owned;
    for (int fd : fds) owned.emplace_back(fd);
    return owned;
  }

  // Passes the run's descriptors to the spare; its pid, or 0 when there is
  // no spare that took them (the caller forks then).
  pid_t handToSpare(std::deque<Spare>& pool, const std::vector<UniqueFd>& fds) {
    if (pool.empty()) return 0;
    char byte = 'r';
    Spare spare = std::move(pool.front());
    pool.pop_front();
    int raw[kRunFds] = {fds[0].get(), fds[1].get(), fds[2].get()};
    bool sent = ipc::sendWithFds(spare.channel.get(), &byte, 1, raw, kRunFds, MSG_NOSIGNAL) == 1;
    if (sent && spare.init) {
      statusChannels_[spare.pid] = std::move(spare.channel);  // init reports the worker's end on it
    }  // otherwise its channel closes here
    if (sent) return spare.pid;
    ::kill(spare.pid, SIGKILL);  // a spare that cannot take a run is of no use; reaped as any child
    return 0;
  }

  void kill(uint64_t runId) {
    auto found = pids_.find(runId);
    if (found == pids_.end()) return;  // already exited: `exited` is on its way
    killRun(found->second);
  }

  static void killRun(pid_t pid) {
    ::kill(-pid, SIGKILL);  // the worker's group, once it made its session
    ::kill(pid, SIGKILL);   // the worker itself, also before that
  }

  void reapExited() {
    signalfd_siginfo info;
    while (::read(childSignals_.get(), &info, sizeof info) > 0) {
    }
    for (;;) {
      siginfo_t exited{};
      if (::waitid(P_ALL, 0, &exited, WEXITED | WNOHANG | WNOWAIT) != 0 || exited.si_pid == 0) return;
      pid_t pid = exited.si_pid;
      // While the worker is a zombie its pid, and so its group id, cannot
      // be taken by anyone else: what the run left in its group dies now.
      ::kill(-pid, SIGKILL);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      reportedStatus(pid, &status);
      if (pid == zygote_.pid() && zygote_.running()) {
        CHECKER_LOG_WARN("launcher: the net zygote (pid %d) died: http and tls_cert runs load checker-net-jobs.so each",
                         static_cast<int>(pid));
        zygote_.lost();
        continue;
      }
      if (forgetSpare(spares_, pid) || forgetSpare(oneProcessSpares_, pid) || forgetSpare(netSpares_, pid)) {
        continue;  // the next run forks one
      }
      reportExit(pid, status);
    }
  }

  // A spare that died before it was used.
  static bool forgetSpare(std::deque<Spare>& pool, pid_t pid) {
    auto spare = std::find_if(pool.begin(), pool.end(), [pid](const Spare& s) { return s.pid == pid; });
    if (spare == pool.end()) return false;
    pool.erase(spare);
    return true;
  }

  // The run of launcher child PID ended with STATUS (a no-op when it was
  // reported already).
  void reportExit(pid_t pid, int status) {
    auto found = runs_.find(pid);
    if (found == runs_.end()) return;
    capnp::MallocMessageBuilder builder(64);  // a control message is a few dozen bytes
    auto report = builder.initRoot<ipc::FromLauncher>().initExited();
    report.setRunId(found->second);
    report.setExitStatus(WIFEXITED(status) ? WEXITSTATUS(status) : 0);
    report.setTermSignal(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    pids_.erase(found->second);
    runs_.erase(found);
    send(builder);
  }

  // Init sent its worker's end (or closed its channel, dying): the run is
  // over now. Its namespaces are torn down while init exits, which takes a
  // while (the kernel waits for an RCU grace period to drop the mounts):
  // that need not delay the report. Init is alive or a zombie until reaped,
  // so its group id is still the run's: what the run left there dies now.
  void workerEnded(pid_t init) {
    auto found = statusChannels_.find(init);
    if (found == statusChannels_.end()) return;
    int status = 0;
    ssize_t got = ::recv(found->second.get(), &status, sizeof status, MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    statusChannels_.erase(found);
    if (got != static_cast<ssize_t>(sizeof status)) return;  // init died first: reaped as any child
    ::kill(-init, SIGKILL);
    reportExit(init, status);
  }

  // An isolated run's launcher child is its init: the worker's own end is
  // what init sent, unless init was killed first (then init's end is the run's).
  void reportedStatus(pid_t pid, int* status) {
    auto found = statusChannels_.find(pid);
    if (found == statusChannels_.end()) return;
    int reported = 0;
    if (::recv(found->second.get(), &reported, sizeof reported, MSG_DONTWAIT) == static_cast<ssize_t>(sizeof reported)) {
      *status = reported;
    }
    statusChannels_.erase(found);
  }

  void notStarted(uint64_t runId, const std::string& why) {
    CHECKER_LOG_ERROR("launcher: run %llu not started: %s", static_cast<unsigned long long>(runId), why.c_str());
    capnp::MallocMessageBuilder builder(64);  // a control message is a few dozen bytes
    auto report = builder.initRoot<ipc::FromLauncher>().initNotStarted();
    report.setRunId(runId);
    report.setError(why);
    send(builder);
  }

  // Blocking: the supervisor reads its end from its loop, so a full socket
  // only ever means a short wait.
  void send(capnp::MessageBuilder& builder) {
    std::string bytes = ipc::encode(builder);
    while (::send(control_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
      if (errno == EINTR) continue;
      // The supervisor is gone (EPIPE) or the socket broke: the runs go too.
      CHECKER_LOG_ERROR("launcher: %s", describeErrno("send", "control socket", errno).c_str());
      std::_Exit(stopAll(kExitParentGone));
    }
  }

  // The supervisor is gone or done: nothing it started may outlive it.
  int stopAll(int code) {
    for (const Spare& spare : spares_) runs_[spare.pid] = 0;  // waited for with the runs
    for (const Spare& spare : oneProcessSpares_) runs_[spare.pid] = 0;
    for (const Spare& spare : netSpares_) runs_[spare.pid] = 0;
    spares_.clear();  // each spare reads end-of-file on its channel and exits
    oneProcessSpares_.clear();
    netSpares_.clear();
    if (zygote_.running()) runs_[zygote_.pid()] = 0;
    zygote_.lost();  // it reads end-of-file and exits
    for (const auto& [pid, runId] : runs_) killRun(pid);
    statusChannels_.clear();
    while (!runs_.empty()) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, 0);
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0) break;
      runs_.erase(pid);
    }
    return code;
  }

  struct Spare {
    pid_t pid = 0;
    UniqueFd channel;   // where the run's descriptors are sent
    bool init = false;  // the init of the run's namespaces, not the worker itself
  };

  UniqueFd control_;
  UniqueFd childSignals_;
  std::deque<Spare> spares_;  // forked ahead, oldest first
  std::deque<Spare> oneProcessSpares_;  // the same for tcp runs: pid 1 of a pid namespace alone
  std::deque<Spare> netSpares_;  // the same for http and tls_cert runs, forked by the net zygote
  NetZygote zygote_;
  pid_t launcherPid_ = ::getpid();
  std::unordered_map<pid_t, uint64_t> runs_;   // worker pid -> run id
  std::unordered_map<uint64_t, pid_t> pids_;   // run id -> worker pid
  std::unordered_map<pid_t, UniqueFd> statusChannels_;  // init pid -> its status channel
  bool namespaces_ = ::geteuid() == 0;  // runs in namespaces of their own (needs root)
  UniqueFd sharedNamespace_;             // built-in network runs' mount namespace (run_namespaces.h)
  std::string spareError_;               // why the last spare could not be forked
};

// Plugins link libchecker_job_api.so and so libstdc++.so: loaded once here,
// a plugin's dlopen in each forked worker only maps the plugin itself
// (about half of a no-op run's cost otherwise; BENCHMARKS.md). Looked for
// relative to this program first: the build tree's layout (build/bin ->
// build/lib), then the installed one (/usr/lib/checker ->
// /usr/lib/<multiarch>, which also holds in a package tree unpacked
// anywhere); then by its name where the dynamic loader looks (an installed
// package: the system library directory). Plugins need it by that SONAME,
// so the copy loaded here is the one they bind to. libcurl and OpenSSL
// (checker-net-jobs.so) are not preloaded: ~40 more mappings make every
// fork and exit dearer for every job, while only http and tls_cert runs
// need them.
void preloadJobApi() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::vector<std::string> candidates;
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir.resize(dir.rfind('/'));
    candidates.push_back(dir + "/../lib/" CHECKER_JOB_API_SONAME);
    candidates.push_back(dir + "/" CHECKER_JOB_API_FROM_HELPERDIR "/" CHECKER_JOB_API_SONAME);
  }
  candidates.push_back(CHECKER_JOB_API_SONAME);
  std::string errors;
  for (const std::string& path : candidates) {
    // A relative candidate that does not exist is no error worth reporting.
    if (path.find('/') != std::string::npos && ::access(path.c_str(), F_OK) != 0) continue;
    if (::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) != nullptr) return;
    errors += errors.empty() ? "" : "; ";
    errors += ::dlerror();
  }
  CHECKER_LOG_WARN("launcher: %s not preloaded (%s): each plugin run loads it", CHECKER_JOB_API_SONAME,
                   errors.empty() ? "not found" : errors.c_str());
}

}  // namespace

int runLauncher(int controlFd, pid_t parent) {
  watchParent(parent);
  // Nothing of the supervisor's but the standard descriptors and the control
  // socket: a forked worker closes everything above 2 anyway, but the
  // launcher itself should not hold the supervisor's files open either.
  ::close_range(static_cast<unsigned>(controlFd) + 1, ~0U, 0);
  if (::chdir("/") != 0) {
    CHECKER_LOG_WARN("launcher: %s", describeErrno("chdir", "/", errno).c_str());
  }
  preloadJobApi();
  rememberEnvironmentBlock();

  // SIGCHLD arrives as a readable descriptor, so that the loop is one poll().
  sigset_t childSignal;
  sigemptyset(&childSignal);
  sigaddset(&childSignal, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &childSignal, nullptr);
  UniqueFd childSignals(::signalfd(-1, &childSignal, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!childSignals.valid()) {
    CHECKER_LOG_ERROR("launcher: %s", describeErrno("signalfd", "SIGCHLD", errno).c_str());
    return kExitParentGone;
  }
  CHECKER_LOG_INFO("launcher ready (pid %d)", static_cast<int>(::getpid()));
  Launcher launcher(controlFd, std::move(childSignals));
  return launcher.serve();
}

}  // namespace checker::worker
