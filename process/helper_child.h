#pragma once
// What checkerd's long-lived helper children (the worker launcher, the
// mailer, peerd) have in common: how they are spawned and how their end is
// told in the log. How long to wait before restarting one that died:
// process/restart_backoff.h.
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

namespace checker {

// The descriptor a helper child finds its control socket on.
inline constexpr int kHelperControlFd = 3;

// uv_spawn of PATH with ARGS (argv[0] included), an empty environment,
// /dev/null as stdin and stdout, our stderr (its log lines go where ours
// go), CONTROL_FD as fd 3, and its own session (a Ctrl-C meant for checkerd
// in a terminal must not reach it before the supervisor's graceful stop).
// Returns uv_spawn's code; the caller closes CONTROL_FD either way.
int spawnHelperChild(uv_loop_t* loop, uv_process_t* process, const std::string& path,
                     const std::vector<std::string>& args, int controlFd, uv_exit_cb onExit);

// "exited with status 1" or "was killed by signal 9 (Killed)".
std::string describeChildEnd(int64_t status, int signal);

}  // namespace checker
