#pragma once
// Who a job's worker becomes. A worker started by root drops to this user
// and its primary group (worker/sandbox_privileges.cpp) before any job code
// runs; started by anyone else it has nothing to drop and runs as its parent.
//
// The default is nobody:nogroup (65534:65534), with no lookup. The Debian
// package starts checkerd with `--job-user checker`, a system user of its
// own that owns no files and runs nothing else: jobs then share their uid
// (signals, ptrace, RLIMIT_NPROC) with no other daemon that drops to nobody.
// See docs/decisions.md.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace checker {

struct JobUser {
  bool drop = false;     // this process is root: workers drop to uid:gid
  uint32_t uid = 65534;  // nobody
  uint32_t gid = 65534;  // nogroup
  std::string name = "nobody";

  // nobody:nogroup, dropped to when this process is root.
  static JobUser byDefault();
  // NAME from the user database: its uid and primary group; dropped to when
  // this process is root. An Error when NAME is unknown or is root ("no
  // such user 'x'", "... is uid 0: jobs never run as root").
  static Result<JobUser> lookup(const std::string& name);

  // "checker (uid 999, gid 999)"
  std::string describe() const;
};

}  // namespace checker
