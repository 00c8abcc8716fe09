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
// A built-in network run from the launcher instead joins the namespace the
// launcher prepared once: everything read-only, no scratch at all.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/sys_error.h"
#include "worker/run_namespaces.h"
#include "worker/sandbox.h"
#include "common/unique_fd.h"

namespace checker::worker {
namespace {

Error failWith(const char* call, const std::string& argument, int err) {
  return Error{describeErrno(call, argument, err)};
}

Result<> resizeScratch(uint64_t bytes) {
  if (bytes == 0 || bytes == kDefaultScratchBytes) return {};
  // The scratch tmpfs itself (/tmp is an overlay whose writes it holds).
  UniqueFd fs(::fspick(AT_FDCWD, "/dev/shm", FSPICK_CLOEXEC));
  if (!fs.valid()) return failWith("fspick", "/dev/shm", errno);
  std::string size = std::to_string(bytes);
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "size", size.c_str(), 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_RECONFIGURE, nullptr, nullptr, 0) != 0) {
    return failWith("fsconfig", "scratch size=" + size, errno);
  }
  return {};
}

// Copies of the granted paths' mounts, taken before everything turns
// read-only, so each keeps the flags it has for checkerd.
Result<std::vector<UniqueFd>> cloneGrants(capnp::List<capnp::Text>::Reader paths) {
  std::vector<UniqueFd> trees;
  for (capnp::Text::Reader path : paths) {
    UniqueFd tree(::open_tree(AT_FDCWD, path.cStr(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree.valid()) return failWith("open_tree", std::string("writable_paths ") + path.cStr(), errno);
    trees.push_back(std::move(tree));
  }
  return trees;
}

Result<> attachGrants(capnp::List<capnp::Text>::Reader paths, const std::vector<UniqueFd>& trees) {
  for (unsigned i = 0; i < trees.size(); ++i) {
    const char* path = paths[i].cStr();
    if (::move_mount(trees[i].get(), "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      return failWith("move_mount", std::string("writable_paths ") + path, errno);
    }
    struct statvfs fs {};
    if (::statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
      return Error{std::string("writable_paths: ") + path +
                   " is read-only for checkerd itself (under systemd: add it to ReadWritePaths= of the unit)"};
    }
  }
  return {};
}

Result<> makeReadOnly() {
  mount_attr readOnly{};
  readOnly.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &readOnly, sizeof readOnly) != 0) {
    return failWith("mount_setattr", "/ read-only", errno);
  }
  mount_attr writable{};
  writable.attr_clr = MOUNT_ATTR_RDONLY;
  for (const char* dir : kScratchDirs) {
    if (::mount_setattr(AT_FDCWD, dir, 0, &writable, sizeof writable) != 0) {
      return failWith("mount_setattr", std::string(dir) + " writable", errno);
    }
  }
  return {};
}

// A run that did not ask for isolation, in namespaces the launcher made
// ahead: it gets the machine's /tmp, /var/tmp, /dev/shm and /proc back.
Result<> undoScaffolding() {
  for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm", "/proc"}) {
    if (::umount2(dir, MNT_DETACH) != 0) return failWith("umount2", dir, errno);
  }
  return {};
}

// A built-in network run: the launcher's read-only namespace, nothing to
// mount. The descriptor is the last thing of the launcher's it holds.
Result<> joinSharedNamespace() {
  int shared = isolation().sharedNamespace;
  isolation().sharedNamespace = -1;
  int joined = ::setns(shared, CLONE_NEWNS);
  int err = errno;
  ::close(shared);
  if (joined != 0) return failWith("setns", "the shared read-only mount namespace", err);
  return {};
}

}  // namespace

Result<> applyNamespaces(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&) {
  if (!sandbox.getIsolate()) {
    return isolation().inside && isolation().scaffolding ? undoScaffolding() : Result<>();
  }
  if (isolation().joinShared) return joinSharedNamespace();
  if (!isolation().inside) {
    if (Result<> isolated = isolateThisProcess(); !isolated) return isolated;
  }
  if (!isolation().scaffolding) return isolation().scaffolding;
  if (Result<> step = resizeScratch(sandbox.getScratchBytes()); !step) return step;
  Result<std::vector<UniqueFd>> trees = cloneGrants(sandbox.getWritablePaths());  // closed on every way out
  if (!trees) return Error{trees.error()};
  if (Result<> step = makeReadOnly(); !step) return step;
  return attachGrants(sandbox.getWritablePaths(), *trees);
}

}  // namespace checker::worker
