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
#include "process/unique_fd.h"

namespace checker::worker {
namespace {

int joinCgroup(const std::string& dir, std::string* error) {
  std::string path = dir + "/cgroup.procs";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    *error = describeErrno("open", path, err);
    return -err;
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
    *error = describeErrno("write", path, err);
    return -err;
  }
  return 0;
}

}  // namespace

int applyCgroup(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&, std::string* error) {
  for (capnp::Text::Reader dir : sandbox.getCgroupDirs()) {
    std::string path(dir.cStr(), dir.size());
    if (path.empty() || path[0] != '/') {
      *error = describeErrno("join", path, EINVAL) + " (not an absolute path)";
      return -EINVAL;
    }
    if (int rc = joinCgroup(path, error); rc != 0) return rc;
  }
  return 0;
}

}  // namespace checker::worker
