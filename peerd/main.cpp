// checker-peerd: checkerd's long-lived peering child (docs/architecture.md,
// "Peering"). Started by checkerd as
//   checker-peerd -c FILE --parent-pid=PID
// with the control socket on fd 3 (ipc/peerd.capnp). It reads `[peerd]`,
// `[peers]` (with their secrets) and the server name from FILE itself. It
// dies with the supervisor, so peers then see no answer, not a stale True.
// Exit codes: 0 the supervisor closed the socket; 2 bad config; 100 bad
// usage; 111 the supervisor is gone (process/child_main.h).
#include <curl/curl.h>
#include <uv.h>

#include <optional>

#include "process/child_main.h"
#include "peerd/peerd_service.h"

int main(int argc, char** argv) {
  checker::ConfigLoad load;
  if (std::optional<int> exitCode = checker::ipc::beginHelperChild(argc, argv, "checker-peerd", &load)) {
    return *exitCode;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    checker::peerd::PeerdService service(&loop, load.config, checker::ipc::kChildControlFd);
    service.start();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  curl_global_cleanup();
  return 0;
}
