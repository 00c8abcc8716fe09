// Sandbox step "capabilities": the ambient capabilities a job's config asks
// for (`capabilities = net_raw`) and nothing else.
//
// The privileges step keeps the permitted set across the drop to the job
// user when capabilities are asked for (PR_SET_KEEPCAPS); this step cuts it
// down to exactly what was asked, makes that inheritable and ambient (so an
// exec'd check_ping has it, and the ping it runs keeps its own file
// capability under no_new_privs, which intersects with what we hold), and
// proves the result. A worker that does not hold the capability (checkerd
// not root, or its unit's bounding set lacks it) fails the run.
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/sys_error.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

struct CapSets {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
};

bool capabilityNumber(const std::string& name, int* number) {
  if (name == "net_raw") *number = CAP_NET_RAW;
  else return false;
  return true;
}

bool holds(const CapSets& sets, int cap) { return (sets.data[cap / 32].permitted & (1u << (cap % 32))) != 0; }

}  // namespace

Result<> applyCapabilities(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader&) {
  auto names = sandbox.getCapabilities();
  if (names.size() == 0) return {};
  CapSets current;
  if (::syscall(SYS_capget, &current.header, current.data) != 0) {
    return Error{describeErrno("capget", "", errno)};
  }
  CapSets wanted;
  std::string list;
  for (capnp::Text::Reader name : names) {
    int cap = 0;
    if (!capabilityNumber(name.cStr(), &cap)) {
      return Error{std::string("unknown capability '") + name.cStr() + "'"};
    }
    if (!holds(current, cap)) {
      return Error{std::string(name.cStr()) + ": the worker does not hold it (checkerd must run as root, with it in its bounding set)"};
    }
    for (auto* set : {&wanted.data[cap / 32].permitted, &wanted.data[cap / 32].effective,
                      &wanted.data[cap / 32].inheritable}) {
      *set |= 1u << (cap % 32);
    }
    list += (list.empty() ? "" : ",") + std::string(name.cStr());
  }
  if (::syscall(SYS_capset, &wanted.header, wanted.data) != 0) {
    return Error{describeErrno("capset", list, errno)};
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  for (capnp::Text::Reader name : names) {
    int cap = 0;
    capabilityNumber(name.cStr(), &cap);
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      return Error{describeErrno("prctl", std::string("PR_CAP_AMBIENT_RAISE ") + name.cStr(), errno)};
    }
  }
  CapSets after;
  if (::syscall(SYS_capget, &after.header, after.data) != 0 ||
      after.data[0].permitted != wanted.data[0].permitted || after.data[1].permitted != wanted.data[1].permitted) {
    return Error{"the permitted set is not exactly " + list + " after capset"};
  }
  return {};
}

}  // namespace checker::worker
