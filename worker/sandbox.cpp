#include "worker/sandbox.h"

namespace checker::worker {
namespace {

// The order matters (STYLE.md, "Do this" 1):
//  - fds first, so nothing inherited is reachable by anything that follows;
//  - the cgroup is joined while still root (its cgroup.procs is root's);
//  - namespaces after the cgroup (cgroupfs turns read-only there) and
//    before chdir (the work directory is looked up in the run's own tree);
//  - chdir happens before the privilege drop (workDir may be root-only to
//    traverse on the way; the job only needs the directory itself);
//  - capabilities right after the drop, which kept them (PR_SET_KEEPCAPS);
//  - no_new_privs after the drop (setuid does not need it, and exec'd
//    set-uid programs are refused from then on);
//  - rlimits last, so that nothing above runs into a limit meant for the job
//    (RLIMIT_NPROC must also be set after the uid change: it counts the
//    processes of the real uid).
constexpr SandboxStep kSteps[] = {
    {"fds", applyFds},
    {"cgroup", applyCgroup},
    {"namespaces", applyNamespaces},
    {"environment", applyEnvironment},
    {"privileges", applyPrivileges},
    {"capabilities", applyCapabilities},
    {"no_new_privs", applyNoNewPrivs},
    {"rlimits", applyRlimits},
};

}  // namespace

Result<> applySandbox(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits) {
  for (const SandboxStep& step : kSteps) {
    if (Result<> applied = step.apply(sandbox, limits); !applied) {
      return Error{std::string("sandbox: ") + step.name + ": " + (applied.error().empty() ? "failed" : applied.error())};
    }
  }
  return {};
}

}  // namespace checker::worker
