// Sandbox step "environment": the job starts in the empty directory the
// supervisor made for this run (or in "/" when the request names none, as a
// describe request does: never in the supervisor's own directory); an
// isolated run starts in its own empty scratch /tmp instead (the directory
// the supervisor made may be under the /tmp the run no longer sees), with
// nothing of the supervisor's environment; the job code sets whatever its
// commands need (the exec job passes an explicit environment to its child).
//
// clearenv() only empties the C library's view: /proc/PID/environ keeps
// showing the block execve() put on the stack. So the block is also
// overwritten with zeros and, where the worker may (CAP_SYS_RESOURCE, i.e.
// started as root), shrunk to nothing with PR_SET_MM_ENV_END. Without that
// capability /proc shows only NUL bytes: nothing of the old environment.
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/sys_error.h"
#include "worker/run_namespaces.h"
#include "worker/sandbox.h"
#include "common/unique_fd.h"

namespace checker::worker {
namespace {

// The environment block's bounds from /proc/self/stat (fields 50 and 51).
// Read and split by hand: iostreams would fault in a good part of
// libstdc++ in every run for one line of text.
bool readEnvironmentBlock(unsigned long* start, unsigned long* end) {
  UniqueFd fd(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char stat[2048];
  ssize_t got = ::read(fd.get(), stat, sizeof stat - 1);
  fd.reset();
  if (got <= 0) return false;
  stat[got] = '\0';
  char* close = std::strrchr(stat, ')');  // the command name may hold anything but this
  if (close == nullptr) return false;
  char* cursor = close + 1;
  for (int index = 3; index <= 51; ++index) {
    while (*cursor == ' ') ++cursor;
    if (*cursor == '\0') return false;
    char* fieldEnd = cursor;
    while (*fieldEnd != ' ' && *fieldEnd != '\0' && *fieldEnd != '\n') ++fieldEnd;
    if (index == 50) *start = std::strtoul(cursor, nullptr, 10);
    if (index == 51) *end = std::strtoul(cursor, nullptr, 10);
    cursor = fieldEnd;
  }
  return *start != 0 && *end >= *start;
}

// Where the launcher found it (its forks have it at the same address, and a
// built-in network run has no /proc to read), else read now.
unsigned long g_knownStart = 0, g_knownEnd = 0;

bool environmentBlock(unsigned long* start, unsigned long* end) {
  if (g_knownStart != 0) {
    *start = g_knownStart;
    *end = g_knownEnd;
    return true;
  }
  return readEnvironmentBlock(start, end);
}

// Called after clearenv(): nothing points into the block any more.
void wipeEnvironmentBlock() {
  unsigned long start = 0, end = 0;
  if (!environmentBlock(&start, &end) || end == start) return;
  std::memset(reinterpret_cast<void*>(start), 0, end - start);
  ::prctl(PR_SET_MM, PR_SET_MM_ENV_END, start, 0, 0);  // EPERM without CAP_SYS_RESOURCE: zeros stay
}

}  // namespace

void rememberEnvironmentBlock() {
  unsigned long start = 0, end = 0;
  if (readEnvironmentBlock(&start, &end)) {
    g_knownStart = start;
    g_knownEnd = end;
  }
}

Result<> applyEnvironment(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&) {
  capnp::Text::Reader workDir = sandbox.getWorkDir();
  // A built-in network run's /tmp is the machine's (read-only): its empty /var/tmp instead.
  const char* isolated = isolation().joinShared ? "/var/tmp" : "/tmp";
  const char* dir = sandbox.getIsolate() ? isolated : workDir.size() > 0 ? workDir.cStr() : "/";
  if (::chdir(dir) != 0) {
    int err = errno;
    return Error{describeErrno("chdir", dir, err)};
  }
  if (::clearenv() != 0) {
    return Error{describeErrno("clearenv", "", ENOMEM)};
  }
  wipeEnvironmentBlock();
  return {};
}

}  // namespace checker::worker
