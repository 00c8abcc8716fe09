#include "worker/run_namespaces.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/sys_error.h"
#include "process/death_signal.h"
#include "common/unique_fd.h"
#include "worker/process_setup.h"
#include "worker_runs/builtin_network_types.h"

namespace checker::worker {
namespace {

Error failed(const char* call, const std::string& argument) { return Error{describeErrno(call, argument, errno)}; }

// The scratch tmpfs's subdirectory SUB attached at TARGET.
Result<> attachScratchDir(int root, const char* sub, const char* target) {
  // mkdirat's mode passes through the umask; the sticky bit needs fchmodat.
  if (::mkdirat(root, sub, 0700) != 0 || ::fchmodat(root, sub, 01777, 0) != 0) {
    return failed("mkdirat", std::string("scratch/") + sub);
  }
  UniqueFd tree(::open_tree(root, sub, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree.valid()) return failed("open_tree", std::string("scratch/") + sub);
  if (::move_mount(tree.get(), "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0) return failed("move_mount", target);
  return {};
}

// /tmp is an overlay: the machine's /tmp below, read as it is, and every
// write going up into the scratch, so it is private, capped and gone with
// the run. A plain tmpfs there would hide the machine's /tmp, and with it
// anything a job is configured to read from it: a checker built or
// unpacked under /tmp (its checker-net-jobs.so, its plugins), a test's
// files. Under the packaged unit (PrivateTmp=yes) the machine's /tmp is the
// service's own, empty one.
Result<> attachTmpOverlay(int root) {
  if (::mkdirat(root, "tmp-upper", 0700) != 0 || ::fchmodat(root, "tmp-upper", 01777, 0) != 0 ||
      ::mkdirat(root, "tmp-work", 0700) != 0) {
    return failed("mkdirat", "scratch/tmp-upper");
  }
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs.valid()) return failed("fsopen", "overlay");
  std::string through = "/proc/self/fd/" + std::to_string(root);
  std::string upper = through + "/tmp-upper", work = through + "/tmp-work";
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir", "/tmp", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", upper.c_str(), 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "workdir", work.c_str(), 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("fsconfig", "overlay on /tmp");
  }
  UniqueFd overlay(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!overlay.valid()) return failed("fsmount", "overlay on /tmp");
  fs.reset();
  if (::move_mount(overlay.get(), "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) != 0) return failed("move_mount", "/tmp");
  return {};
}

// One small read of the directory (no more than a few entries): /tmp of a
// developer's machine holds hundreds, and reading them all was ~4% of a run.
bool machineTmpIsEmpty() {
  UniqueFd dir(::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return false;  // unreadable: the overlay, which says why if it fails
  alignas(8) char buffer[256];
  long got = ::syscall(SYS_getdents64, dir.get(), buffer, sizeof buffer);
  for (long offset = 0; offset < got;) {
    auto* entry = reinterpret_cast<dirent64*>(buffer + offset);
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) return false;
    offset += entry->d_reclen;
  }
  return got == 0 || ::syscall(SYS_getdents64, dir.get(), buffer, sizeof buffer) == 0;
}

// One tmpfs, never attached itself, holds all the run may write: /var/tmp
// and /dev/shm are two of its directories, and /tmp's overlay keeps its
// writes in a third, so the cap is for all three at once.
Result<> mountScratch() {
  UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs.valid()) return failed("fsopen", "tmpfs");
  std::string size = std::to_string(kDefaultScratchBytes);
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "size", size.c_str(), 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "nr_inodes", "16384", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("fsconfig", "tmpfs size=" + size);
  }
  UniqueFd rootFd(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!rootFd.valid()) return failed("fsmount", "tmpfs");
  fs.reset();
  int root = rootFd.get();
  if (Result<> attached = attachScratchDir(root, "var-tmp", "/var/tmp"); !attached) return attached;
  if (Result<> attached = attachScratchDir(root, "shm", "/dev/shm"); !attached) return attached;
  // An empty machine /tmp (the unit's PrivateTmp=yes) has nothing to show
  // through: a plain directory of the scratch is the same view, without the
  // overlay's cost (~150 us a run).
  return machineTmpIsEmpty() ? attachScratchDir(root, "tmp", "/tmp") : attachTmpOverlay(root);
}

}  // namespace

Isolation& isolation() {
  static Isolation state;
  return state;
}

pid_t cloneIntoNamespaces() {
  // The raw call: glibc's clone() wants a new stack, and its fork() takes
  // no flags. The launcher is single-threaded, so this is fork() as well.
  return static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

pid_t cloneIntoPidNamespace() {
  // The raw call: glibc's clone() wants a new stack, and its fork() takes
  // no flags. The launcher is single-threaded, so this is fork() as well.
  return static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

namespace {

// Run in the new namespace: nothing writable anywhere, nothing under the
// directories runs use to share what they write (/var/tmp, /dev/shm), and
// no /proc (this one would be the launcher's pid namespace's: every run's
// processes). /tmp stays the machine's, read-only, as an exec run reads it
// below its overlay: a checker (and its checker-net-jobs.so) or an http
// job's cafile may be there.
Result<> furnishSharedNamespace() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return failed("mount", "/ private");
  UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs.valid()) return failed("fsopen", "tmpfs");
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "size", "4096", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "nr_inodes", "16", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0755", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("fsconfig", "tmpfs size=4096");
  }
  UniqueFd empty(::fsmount(fs.get(), FSMOUNT_CLOEXEC,
                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!empty.valid()) return failed("fsmount", "tmpfs");
  for (const char* target : {"/var/tmp", "/dev/shm", "/proc"}) {
    UniqueFd copy(::open_tree(empty.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
    if (!copy.valid()) return failed("open_tree", "empty tmpfs");
    if (::move_mount(copy.get(), "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0) return failed("move_mount", target);
  }
  mount_attr readOnly{};
  readOnly.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &readOnly, sizeof readOnly) != 0) {
    return failed("mount_setattr", "/ read-only");
  }
  return {};
}

}  // namespace

namespace {

// In a child: the namespace is made there, so the launcher never leaves
// its own (going back takes CAP_SYS_CHROOT, which a unit may not give).
// It says how it went on READY ("" or the error) and waits to be killed:
// by the launcher once it holds the namespace, or by the death signal if
// the launcher is killed first (it would otherwise pause for ever, holding
// the launcher's stderr).
[[noreturn]] void holdSharedNamespace(int ready, pid_t launcher) {
  if (!armDeathSignal(launcher)) ::_exit(kExitParentGone);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::close(fd);
  Result<> made = ::unshare(CLONE_NEWNS) == 0 ? furnishSharedNamespace() : Result<>(failed("unshare", "CLONE_NEWNS"));
  std::string said = made ? "" : made.error();
  if (::write(ready, said.data(), said.size() + 1) < 0) ::_exit(kExitParentGone);  // the launcher reads end-of-file
  for (;;) ::pause();
}

// Whether a process of ours may join NS (setns needs CAP_SYS_CHROOT too).
Result<> tryJoining(int ns) {
  pid_t probe = ::fork();
  if (probe < 0) return failed("fork", "setns probe");
  if (probe == 0) ::_exit(::setns(ns, CLONE_NEWNS) == 0 ? 0 : errno);
  int status = 0;
  while (::waitpid(probe, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  errno = WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
  return failed("setns", "the shared read-only mount namespace (CAP_SYS_CHROOT?)");
}

}  // namespace

Result<int> prepareSharedNamespace() {
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) return failed("pipe2", "shared namespace");
  UniqueFd ours(pipeFds[0]), theirs(pipeFds[1]);
  pid_t launcher = ::getpid();
  pid_t holder = ::fork();
  if (holder < 0) return failed("fork", "shared namespace");
  if (holder == 0) holdSharedNamespace(theirs.get(), launcher);
  theirs.reset();
  char said[512] = {};
  ssize_t got = ::read(ours.get(), said, sizeof said - 1);
  UniqueFd shared;
  if (got == 1 && said[0] == '\0') {
    shared.reset(::open(("/proc/" + std::to_string(holder) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC));
  }
  int err = errno;
  ::kill(holder, SIGKILL);  // the descriptor keeps the namespace
  while (::waitpid(holder, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (got > 1) return Error{std::string(said)};
  if (!shared.valid()) return Error{describeErrno("open", "the shared namespace", got == 1 ? err : EIO)};
  if (Result<> joinable = tryJoining(shared.get()); !joinable) return Error{joinable.error()};
  return shared.release();
}

void settleRunNamespaces(const std::string& type, bool isolate, bool hasWritablePaths) {
  Isolation& state = isolation();
  if (!state.unsettled) return;
  state.unsettled = false;
  if (isBuiltInNetworkType(type) && !hasWritablePaths && (!isolate || state.sharedNamespace >= 0)) {
    ::close(state.statusChannel);  // the launcher reaps this process itself: no init to report
    state.statusChannel = -1;
    state.inside = state.joinShared = isolate;
    return;
  }
  if (state.sharedNamespace >= 0) ::close(state.sharedNamespace);
  state.sharedNamespace = -1;
  Result<> scaffolding;
  if (isolate) {
    scaffolding = ::unshare(CLONE_NEWNS) == 0 ? mountScaffolding() : Result<>(failed("unshare", "CLONE_NEWNS"));
  }
  pid_t worker = ::fork();
  if (worker < 0) ::_exit(kExitParentGone);
  if (worker > 0) {
    // Init holds none of the run's pipes: the reply's reader sees their
    // end when the worker's, not when the namespaces are torn down.
    for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::close(fd);
    serveAsInit(worker, state.statusChannel);
  }
  ::close(state.statusChannel);
  state.statusChannel = -1;
  watchParent(1);
  state.inside = isolate;
  state.scaffolding = scaffolding;
}

Result<> mountScaffolding() {
  // Nothing mounted here may propagate back to the machine.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return failed("mount", "/ private");
  // A /proc of this pid namespace: no other run's processes to open.
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) return failed("mount", "/proc");
  return mountScratch();
}

void serveAsInit(pid_t worker, int statusFd) {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) ::_exit(kExitParentGone);  // ECHILD: cannot happen while the worker lives
    if (pid != worker) continue;            // an orphan of the job
    if (statusFd >= 0) {
      while (::send(statusFd, &status, sizeof status, MSG_NOSIGNAL) < 0 && errno == EINTR) {
      }
    }
    ::_exit(kExitOk);  // the kernel kills what is left in the namespace
  }
}

namespace {

// The process outside: ends as the worker ended.
[[noreturn]] void relayEnd(pid_t init, int statusFd) {
  // Not ours to hold (standard streams, not owned fds): the reply's reader
  // sees its end when the worker's.
  ::close(STDIN_FILENO);
  ::close(STDOUT_FILENO);
  int status = 0;
  bool reported = false;
  for (;;) {
    ssize_t got = ::recv(statusFd, &status, sizeof status, 0);
    if (got < 0 && errno == EINTR) continue;
    reported = got == static_cast<ssize_t>(sizeof status);
    break;
  }
  int initStatus = 0;
  while (::waitpid(init, &initStatus, 0) < 0 && errno == EINTR) {
  }
  if (!reported) status = initStatus;
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  ::signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);
}

}  // namespace

Result<> isolateThisProcess() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return failed("socketpair", "");
  UniqueFd outside(pair[0]), inside(pair[1]);  // the relay's end, init's end
  if (::unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) return failed("unshare", "CLONE_NEWPID|CLONE_NEWNS");
  pid_t init = ::fork();
  if (init < 0) return failed("fork", "init");
  if (init > 0) {
    inside.reset();
    relayEnd(init, outside.get());
  }
  outside.reset();
  armDeathSignal();  // the relay is gone: so is the run
  isolation().scaffolding = mountScaffolding();
  pid_t worker = ::fork();
  if (worker < 0) ::_exit(kExitParentGone);
  if (worker > 0) serveAsInit(worker, inside.get());
  inside.reset();
  isolation().inside = true;
  watchParent(1);
  return {};
}

}  // namespace checker::worker
