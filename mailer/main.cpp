// checker-mailer: checkerd's long-lived mail child (docs/architecture.md,
// "Mail"). Started by checkerd as
//   checker-mailer -c FILE --parent-pid=PID
// with the control socket on fd 3 (ipc/mailer.capnp). It reads the [email]
// settings from FILE itself, so the password never travels over IPC.
// Exit codes: 0 the supervisor closed the socket; 2 bad config; 100 bad usage;
// 111 the supervisor is gone (process/child_main.h).
#include <curl/curl.h>
#include <uv.h>

#include <optional>

#include "process/child_main.h"
#include "mailer/mailer_service.h"

int main(int argc, char** argv) {
  checker::ConfigLoad load;
  if (std::optional<int> exitCode = checker::ipc::beginHelperChild(argc, argv, "checker-mailer", &load)) {
    return *exitCode;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    checker::mailer::MailerService service(&loop, load.config, checker::ipc::kChildControlFd);
    service.start();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  curl_global_cleanup();
  return 0;
}
