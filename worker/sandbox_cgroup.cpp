// Sandbox step "cgroup": join the run's cgroups. The supervisor made them and
// set their limits before spawning us (worker_runs/run_cgroups.h); here the
// worker only moves itself in, so that everything the job starts is counted
// and limited from its first instruction, and can be killed as a whole.
// v2 gives one directory, v1 one per controller (pids, memory).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/sys_error.h"
#include "worker/sandbox.h"
#include "common/unique_fd.h"

namespace checker::worker {
namespace {

Result<> joinCgroup(const std::string& dir) {
  std::string path = dir + "/cgroup.procs";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return Error{describeErrno("open", path, err)};
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  ssize_t written;
  do {
    written = ::write(fd.get(), pid.data(), pid.size());
  } while (written < 0 && errno == EINTR);
  int err = written < 0 ? errno : 0;
  fd.reset();
  if (written != static_cast<ssize_t>(pid.size())) {
    if (err == 0) err = EIO;
    return Error{describeErrno("write", path, err)};
  }
  return {};
}

}  // namespace

Result<> applyCgroup(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&) {
  for (capnp::Text::Reader dir : sandbox.getCgroupDirs()) {
    std::string path(dir.cStr(), dir.size());
    if (path.empty() || path[0] != '/') {
      return Error{describeErrno("join", path, EINVAL) + " (not an absolute path)"};
    }
    if (Result<> step = joinCgroup(path); !step) return step;
  }
  return {};
}

}  // namespace checker::worker
