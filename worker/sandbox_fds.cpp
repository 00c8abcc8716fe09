// Sandbox step "fds": the job inherits nothing of the supervisor's but the
// three standard descriptors. stdin (the request pipe, already read to the
// end of the request) is replaced by /dev/null so nothing can read stray
// bytes from it, and every descriptor above 2 is closed (but, in a built-in
// network run, the launcher's namespace the next step joins and closes). A
// probe worker's stdin stays (sandbox.keepStdin): its probes arrive there.
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/sys_error.h"
#include "worker/run_namespaces.h"
#include "worker/sandbox.h"
#include "common/unique_fd.h"

namespace checker::worker {
namespace {

// Without close_range: the open descriptors as /proc lists them, else every
// number up to the soft RLIMIT_NOFILE.
Result<> closeFromThreeSlowly(int kept) {
  std::vector<int> open;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(dir);
    while (dirent* entry = ::readdir(dir)) {
      char* end = nullptr;
      long fd = std::strtol(entry->d_name, &end, 10);
      if (end != entry->d_name && *end == '\0' && fd > 2 && fd != own && fd != kept) open.push_back(static_cast<int>(fd));
    }
    ::closedir(dir);
  } else {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
      int err = errno;
      return Error{describeErrno("getrlimit", "RLIMIT_NOFILE", err)};
    }
    rlim_t last = limit.rlim_cur == RLIM_INFINITY ? 1 << 20 : limit.rlim_cur;
    for (rlim_t fd = 3; fd < last; ++fd) {
      if (static_cast<int>(fd) != kept) open.push_back(static_cast<int>(fd));
    }
  }
  // Inherited numbers, not fds we own: EBADF for numbers never open is fine.
  for (int fd : open) ::close(fd);
  return {};
}

Result<> closeFailed(int err, int kept) {
  // ENOSYS: a kernel before 5.9; EPERM: a seccomp filter that does not know
  // the call (older container runtimes answer so). Both: close one by one.
  if (err == ENOSYS || err == EPERM) return closeFromThreeSlowly(kept);
  return Error{describeErrno("close_range", "3, ~0", err)};
}

// Every fd above 2 but KEPT (the launcher's namespace), if any.
Result<> closeAboveStderr() {
  int kept = isolation().sharedNamespace;
  if (kept > 3 && ::close_range(3, static_cast<unsigned>(kept) - 1, 0) != 0) return closeFailed(errno, kept);
  if (::close_range(kept >= 3 ? static_cast<unsigned>(kept) + 1 : 3, ~0U, 0) == 0) return {};
  return closeFailed(errno, kept);
}

}  // namespace

Result<> applyFds(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&) {
  if (sandbox.getKeepStdin()) return closeAboveStderr();
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null.valid()) {
    int err = errno;
    return Error{describeErrno("open", "/dev/null", err)};
  }
  if (::dup2(null.get(), STDIN_FILENO) < 0) {
    int err = errno;
    return Error{describeErrno("dup2", "/dev/null, 0", err)};
  }
  null.reset();
  return closeAboveStderr();
}

}  // namespace checker::worker
