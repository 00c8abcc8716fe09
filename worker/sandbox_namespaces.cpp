// Sandbox step "namespaces": what isolates a run from every other run.
//
// The run is in pid and mount namespaces of its own (worker/run_namespaces.h:
// made ahead by the launcher, or here for an exec'd worker): it sees and can
// signal or trace only its own processes, what it writes in /tmp, /var/tmp
// and /dev/shm goes to one private tmpfs of scratchBytes that dies with the
// run (/tmp shows the machine's below its own writes), and the rest
// of the file system is read-only except the paths the job's config grants.
// A grant stays as writable as it is for checkerd: a path its unit keeps
// read-only (ProtectSystem=strict) fails the run rather than be opened up.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/sys_error.h"
#include "worker/run_namespaces.h"
#include "worker/sandbox.h"
#include "process/unique_fd.h"

namespace checker::worker {
namespace {

int failWith(std::string* error, const char* call, const std::string& argument, int err) {
  *error = describeErrno(call, argument, err);
  return -err;
}

int resizeScratch(uint64_t bytes, std::string* error) {
  if (bytes == 0 || bytes == kDefaultScratchBytes) return 0;
  // The scratch tmpfs itself (/tmp is an overlay whose writes it holds).
  UniqueFd fs(::fspick(AT_FDCWD, "/dev/shm", FSPICK_CLOEXEC));
  if (!fs.valid()) return failWith(error, "fspick", "/dev/shm", errno);
  std::string size = std::to_string(bytes);
  int rc = 0;
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "size", size.c_str(), 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_RECONFIGURE, nullptr, nullptr, 0) != 0) {
    rc = failWith(error, "fsconfig", "scratch size=" + size, errno);
  }
  return rc;
}

// Copies of the granted paths' mounts, taken before everything turns
// read-only, so each keeps the flags it has for checkerd.
int cloneGrants(capnp::List<capnp::Text>::Reader paths, std::vector<int>* trees, std::string* error) {
  for (capnp::Text::Reader path : paths) {
    int tree = ::open_tree(AT_FDCWD, path.cStr(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) return failWith(error, "open_tree", std::string("writable_paths ") + path.cStr(), errno);
    trees->push_back(tree);
  }
  return 0;
}

int attachGrants(capnp::List<capnp::Text>::Reader paths, const std::vector<int>& trees, std::string* error) {
  for (unsigned i = 0; i < trees.size(); ++i) {
    const char* path = paths[i].cStr();
    if (::move_mount(trees[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      return failWith(error, "move_mount", std::string("writable_paths ") + path, errno);
    }
    struct statvfs fs {};
    if (::statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
      *error = std::string("writable_paths: ") + path +
               " is read-only for checkerd itself (under systemd: add it to ReadWritePaths= of the unit)";
      return -EROFS;
    }
  }
  return 0;
}

int makeReadOnly(std::string* error) {
  mount_attr readOnly{};
  readOnly.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &readOnly, sizeof readOnly) != 0) {
    return failWith(error, "mount_setattr", "/ read-only", errno);
  }
  mount_attr writable{};
  writable.attr_clr = MOUNT_ATTR_RDONLY;
  for (const char* dir : kScratchDirs) {
    if (::mount_setattr(AT_FDCWD, dir, 0, &writable, sizeof writable) != 0) {
      return failWith(error, "mount_setattr", std::string(dir) + " writable", errno);
    }
  }
  return 0;
}

// A run that did not ask for isolation, in namespaces the launcher made
// ahead: it gets the machine's /tmp, /var/tmp, /dev/shm and /proc back.
int undoScaffolding(std::string* error) {
  for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm", "/proc"}) {
    if (::umount2(dir, MNT_DETACH) != 0) return failWith(error, "umount2", dir, errno);
  }
  return 0;
}

}  // namespace

int applyNamespaces(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&, std::string* error) {
  if (!sandbox.getIsolate()) return isolation().inside && isolation().error.empty() ? undoScaffolding(error) : 0;
  if (!isolation().inside && !isolateThisProcess(error)) return -EPERM;
  if (!isolation().error.empty()) {
    *error = isolation().error;
    return -EPERM;
  }
  if (int rc = resizeScratch(sandbox.getScratchBytes(), error); rc != 0) return rc;
  std::vector<int> trees;
  int rc = cloneGrants(sandbox.getWritablePaths(), &trees, error);
  if (rc == 0) rc = makeReadOnly(error);
  if (rc == 0) rc = attachGrants(sandbox.getWritablePaths(), trees, error);
  // Closed on every way out (none returns between); a vector<UniqueFd> once
  // cloneGrants/attachGrants' signatures are settled (sandbox Result work).
  for (int tree : trees) ::close(tree);
  return rc;
}

}  // namespace checker::worker
