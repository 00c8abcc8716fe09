// checker reload -c FILE: asks the checkerd running on FILE's state
// directory to re-read its config (as SIGHUP does) over its control socket
// (STATEDIR/control.sock, ipc/control.capnp), and prints its answer: what
// changed, or every error while the running config stays.
// Exit 0 reloaded; 2 the config was refused; 111 no checkerd answered.
#include <capnp/message.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "config/config.h"
#include "ipc/control.capnp.h"

namespace checker::cli {
namespace {

// A reload runs plugin `describe` workers: allow for them.
constexpr int kAnswerTimeoutMs = 120'000;

}  // namespace

int reload(const CommonOptions& options) {
  if (!options.rest.empty()) {
    std::fprintf(stderr, "usage: checker reload -c FILE\n");
    return kExitUsage;
  }
  // Even a config with errors names its state directory (or the default):
  // checkerd is asked anyway, so that it logs and keeps the refusal.
  ConfigLoad load = loadConfigFile(options.configPath);
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ControlRequest>().setReload();
  Result<ControlAnswerText> reply = askCheckerd(load.config.general.stateDir, builder, kAnswerTimeoutMs);
  if (!reply) {
    std::fprintf(stderr, "checker reload: %s\n", reply.error().c_str());
    return kExitTemporary;
  }
  std::printf("%s: %s\n", reply->ok ? "reloaded" : "not reloaded", reply->message.c_str());
  return reply->ok ? kExitOk : kExitUsage;
}

}  // namespace checker::cli
