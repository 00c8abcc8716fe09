#include "process/helper_child.h"

#include <unistd.h>

#include <cstring>

namespace checker {

int spawnHelperChild(uv_loop_t* loop, uv_process_t* process, const std::string& path,
                     const std::vector<std::string>& args, int controlFd, uv_exit_cb onExit) {
  uv_stdio_container_t stdio[4];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = STDERR_FILENO;
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = controlFd;
  static_assert(kHelperControlFd == 3, "the control socket is stdio[3]");
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  char* env[] = {nullptr};
  uv_process_options_t options{};
  options.file = path.c_str();
  options.args = argv.data();
  options.env = env;
  options.stdio = stdio;
  options.stdio_count = 4;
  options.flags = UV_PROCESS_DETACHED;
  options.exit_cb = onExit;
  return uv_spawn(loop, process, &options);
}

std::string describeChildEnd(int64_t status, int signal) {
  if (signal != 0) return "was killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exited with status " + std::to_string(status);
}

}  // namespace checker
