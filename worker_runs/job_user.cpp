#include "worker_runs/job_user.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/sys_error.h"

namespace checker {

JobUser JobUser::byDefault() {
  JobUser user;
  user.drop = ::geteuid() == 0;
  return user;
}

Result<JobUser> JobUser::lookup(const std::string& name) {
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? static_cast<size_t>(hint) : 4096);
  struct passwd entry;
  struct passwd* found = nullptr;
  int rc;
  while ((rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found)) == ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (rc != 0) return Error{describeErrno("getpwnam_r", name, rc)};
  if (found == nullptr) return Error{"no such user '" + name + "'"};
  if (entry.pw_uid == 0 || entry.pw_gid == 0) {
    return Error{"user '" + name + "' is uid " + std::to_string(entry.pw_uid) + ", gid " +
                 std::to_string(entry.pw_gid) + ": jobs never run as root"};
  }
  JobUser user;
  user.drop = ::geteuid() == 0;
  user.uid = entry.pw_uid;
  user.gid = entry.pw_gid;
  user.name = name;
  return user;
}

std::string JobUser::describe() const {
  return name + " (uid " + std::to_string(uid) + ", gid " + std::to_string(gid) + ")";
}

}  // namespace checker
