// Sandbox step "environment": the job starts in the empty directory the
// supervisor made for this run (or in "/" when the request names none, as a
// describe request does: never in the supervisor's own directory), with
// nothing of the supervisor's environment; the job code sets whatever its
// commands need (the exec job passes an explicit environment to its child).
//
// clearenv() only empties the C library's view: /proc/PID/environ keeps
// showing the block execve() put on the stack. So the block is also
// overwritten with zeros and, where the worker may (CAP_SYS_RESOURCE, i.e.
// started as root), shrunk to nothing with PR_SET_MM_ENV_END. Without that
// capability /proc shows only NUL bytes: nothing of the old environment.
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "common/sys_error.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

// The environment block's bounds from /proc/self/stat (fields 50 and 51).
bool environmentBlock(unsigned long* start, unsigned long* end) {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 2));  // field 3 on
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index == 50) *start = std::strtoul(field.c_str(), nullptr, 10);
    if (index == 51) {
      *end = std::strtoul(field.c_str(), nullptr, 10);
      return *start != 0 && *end >= *start;
    }
  }
  return false;
}

// Called after clearenv(): nothing points into the block any more.
void wipeEnvironmentBlock() {
  unsigned long start = 0, end = 0;
  if (!environmentBlock(&start, &end) || end == start) return;
  std::memset(reinterpret_cast<void*>(start), 0, end - start);
  ::prctl(PR_SET_MM, PR_SET_MM_ENV_END, start, 0, 0);  // EPERM without CAP_SYS_RESOURCE: zeros stay
}

}  // namespace

int applyEnvironment(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&, std::string* error) {
  capnp::Text::Reader workDir = sandbox.getWorkDir();
  const char* dir = workDir.size() > 0 ? workDir.cStr() : "/";
  if (::chdir(dir) != 0) {
    int err = errno;
    *error = describeErrno("chdir", dir, err);
    return -err;
  }
  if (::clearenv() != 0) {
    *error = describeErrno("clearenv", "", ENOMEM);
    return -ENOMEM;
  }
  wipeEnvironmentBlock();
  return 0;
}

}  // namespace checker::worker
