#include "process/child_main.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.h"
#include "process/death_signal.h"

namespace checker::ipc {

std::optional<int> beginHelperChild(int argc, char** argv, const char* program, ConfigLoad* load) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("%s %s\n", program, CHECKER_VERSION);
    return 0;
  }
  log::setProgram(program);
  std::string configPath;
  long parent = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-c" && i + 1 < argc) {
      configPath = argv[++i];
    } else if (arg.rfind("--parent-pid=", 0) == 0) {
      parent = std::strtol(arg.c_str() + 13, nullptr, 10);
    } else {
      configPath.clear();
      break;
    }
  }
  if (configPath.empty() || parent <= 0) {
    CHECKER_LOG_ERROR("usage: %s -c FILE --parent-pid=PID (control socket on fd %d)", program, kChildControlFd);
    return kExitBadInvocation;
  }
  if (!armDeathSignal(static_cast<pid_t>(parent))) return kExitParentGone;
  ::signal(SIGPIPE, SIG_IGN);
  *load = loadConfigFile(configPath);
  if (!load->ok()) {
    for (const std::string& error : load->errors) CHECKER_LOG_ERROR("%s", error.c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace checker::ipc
