#pragma once
// The worker's sandbox: one file per mechanism, each behind the same small
// interface, applied in one fixed order from the table in sandbox.cpp.
//
//   step          file                     what it does
//   fds           sandbox_fds.cpp          stdin from /dev/null; close every fd above 2
//   cgroup        sandbox_cgroup.cpp       join the run cgroups the supervisor made
//   namespaces    sandbox_namespaces.cpp   own pid + mount namespaces: private /proc and scratch
//                                          (/tmp, /var/tmp, /dev/shm), the rest read-only but grants;
//                                          a built-in network run joins the launcher's read-only one
//   environment   sandbox_environment.cpp  chdir(workDir); clear the environment
//   privileges    sandbox_privileges.cpp   as root: setgroups/setgid/setuid, then prove it stuck
//   capabilities  sandbox_capabilities.cpp exactly the asked-for ambient capabilities (net_raw)
//   no_new_privs  sandbox_privileges.cpp   PR_SET_NO_NEW_PRIVS
//   rlimits       sandbox_rlimits.cpp      CPU, AS, NOFILE, FSIZE, CORE, NPROC; always last
//
// A mechanism the request asked for that fails to apply fails the run
// ("sandbox: <step>: <call>(<argument>): <errno text>"); nothing is ever
// silently skipped. A mechanism the request did not ask for (no cgroup
// dirs, dropPrivileges false, a limit of 0) is left alone.
#include <string>

#include "common/result.h"
#include "ipc/job.capnp.h"

namespace checker::worker {

struct SandboxStep {
  const char* name;
  // Applied, or an Error "call(argument): errno text".
  Result<> (*apply)(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
};

// The steps (sandbox_*.cpp).
Result<> applyFds(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyCgroup(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyEnvironment(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyNamespaces(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyCapabilities(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyPrivileges(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyNoNewPrivs(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);
Result<> applyRlimits(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);

// In the launcher, before it forks: where its environment block is, which
// its forked workers wipe in the environment step (they have it at the same
// address; a built-in network run has no /proc to read it from).
void rememberEnvironmentBlock();

// Applies every step in order and stops at the first failure, an Error
// "sandbox: <step>: <why>".
Result<> applySandbox(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits);

}  // namespace checker::worker
