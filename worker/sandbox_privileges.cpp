// Sandbox steps "privileges" and "no_new_privs".
//
// privileges: a worker started as root becomes runUid/runGid (no
// supplementary groups), then proves the change is permanent: getting root
// back with setuid(0) / setgid(0) must fail. Started as another user there
// is nothing to drop. Changing the effective ids clears the parent-death
// signal (prctl(2)), so it is armed again here.
//
// no_new_privs: PR_SET_NO_NEW_PRIVS, so nothing the job execs (set-uid
// binaries, file capabilities) can gain privileges; always applied.
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/sys_error.h"
#include "worker/process_setup.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

Error failWith(const char* call, const std::string& argument, int err) {
  return Error{describeErrno(call, argument, err)};
}

}  // namespace

Result<> applyPrivileges(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&) {
  if (!sandbox.getDropPrivileges() || ::geteuid() != 0) return {};
  uid_t uid = sandbox.getRunUid();
  gid_t gid = sandbox.getRunGid();
  std::string uidText = std::to_string(uid), gidText = std::to_string(gid);
  if (uid == 0) {
    return Error{"runUid 0: refusing to run jobs as root"};
  }
  if (::setgroups(0, nullptr) != 0) return failWith("setgroups", "0", errno);
  if (::setresgid(gid, gid, gid) != 0) return failWith("setresgid", gidText, errno);
  // Asked-for capabilities survive the drop in the permitted set only; the
  // capabilities step cuts them to exactly those (sandbox_capabilities.cpp).
  if (sandbox.getCapabilities().size() > 0 && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return failWith("prctl", "PR_SET_KEEPCAPS", errno);
  }
  if (::setresuid(uid, uid, uid) != 0) return failWith("setresuid", uidText, errno);
  if (::setuid(0) == 0 || (gid != 0 && ::setgid(0) == 0)) {
    return Error{"root could be regained after dropping to " + uidText + ":" + gidText};
  }
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (::getresuid(&ruid, &euid, &suid) != 0) return failWith("getresuid", "", errno);
  if (::getresgid(&rgid, &egid, &sgid) != 0) return failWith("getresgid", "", errno);
  if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid) {
    return Error{"ids are not " + uidText + ":" + gidText + " after the drop"};
  }
  watchParentAgain();
  return {};
}

Result<> applyNoNewPrivs(const ipc::Sandbox::Reader&, const ipc::Limits::Reader&) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failWith("prctl", "PR_SET_NO_NEW_PRIVS", errno);
  return {};
}

}  // namespace checker::worker
