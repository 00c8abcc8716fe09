// checker-peerd: checkerd's long-lived peering child (docs/architecture.md,
// "Peering"). Started by checkerd as
//   checker-peerd -c FILE --parent-pid=PID
// with the control socket on fd 3 (ipc/peerd.capnp). It reads `[peerd]`,
// `[peers]` (with their secrets) and the server name from FILE itself.
// Exit codes: 0 the supervisor closed the socket; 2 bad config; 100 bad
// usage; 111 the supervisor is gone.
#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/config.h"
#include "common/log.h"
#include "peerd/peerd_service.h"

namespace {

constexpr int kControlFd = 3;

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::puts("checker-peerd " CHECKER_VERSION);
    return 0;
  }
  checker::log::setProgram("checker-peerd");
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
    CHECKER_LOG_ERROR("usage: checker-peerd -c FILE --parent-pid=PID (control socket on fd 3)");
    return 100;
  }
  // Dies with the supervisor (peers must then see no answer, not a stale
  // True); exits now if it is already gone.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != static_cast<pid_t>(parent)) return 111;
  ::signal(SIGPIPE, SIG_IGN);

  checker::ConfigLoad load = checker::loadConfigFile(configPath);
  if (!load.ok()) {
    for (const std::string& error : load.errors) CHECKER_LOG_ERROR("%s", error.c_str());
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    checker::peerd::PeerdService service(&loop, load.config, kControlFd);
    service.start();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  curl_global_cleanup();
  return 0;
}
