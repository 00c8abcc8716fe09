#pragma once
// The worker's sandbox: one file per mechanism, each behind the same small
// interface, applied in one fixed order from the table in sandbox.cpp.
//
//   step          file                     what it does
//   fds           sandbox_fds.cpp          stdin from /dev/null; close every fd above 2
//   cgroup        sandbox_cgroup.cpp       join the run cgroups the supervisor made
//   namespaces    sandbox_namespaces.cpp   own pid + mount namespaces: private /proc and scratch
//                                          (/tmp, /var/tmp, /dev/shm), the rest read-only but grants
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

#include "ipc/job.capnp.h"

namespace checker::worker {

struct SandboxStep {
  const char* name;
  // 0 on success; a negative errno on failure, with *error set to
  // "call(argument): errno text".
  int (*apply)(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
};

// The steps (sandbox_*.cpp).
int applyFds(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyCgroup(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyEnvironment(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyNamespaces(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyCapabilities(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyPrivileges(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyNoNewPrivs(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);
int applyRlimits(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* error);

// Applies every step in order and stops at the first failure. Returns true
// when all applied; otherwise false with *failure = "sandbox: <step>: <why>".
bool applySandbox(const ipc::Sandbox::Reader& sandbox, const ipc::Limits::Reader& limits, std::string* failure);

}  // namespace checker::worker
