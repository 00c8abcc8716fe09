// checker confirm -c FILE [--peers A,B] JOB: asks the checkerd running on
// FILE's state directory (its control socket, ipc/control.capnp) to ask
// JOB's confirm_with peers (or those named) for their own view of the job
// now, over the signed peer protocol, and prints one line per peer. A peer
// whose result is older than now runs its own job once (at most once per
// 10 s). Exit 0 every peer answered; 1 one did not (unreachable or
// refused), or checkerd refused the question; 2 bad usage or config; 111 no
// checkerd answered.
#include <capnp/message.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "config/config.h"
#include "config/config_values.h"
#include "ipc/control.capnp.h"
#include "peering/confirm_request.h"

namespace checker::cli {

int confirm(const CommonOptions& options) {
  std::vector<std::string> peers;
  std::string job;
  bool usageError = false;
  for (size_t i = 0; i < options.rest.size(); ++i) {
    const std::string& arg = options.rest[i];
    if (arg == "--peers" && i + 1 < options.rest.size()) {
      peers = splitList(options.rest[++i]);
      usageError |= peers.empty();
    } else if (arg.starts_with("--peers=")) {
      peers = splitList(arg.substr(8));
      usageError |= peers.empty();
    } else if (arg.starts_with("-") || !job.empty()) {
      usageError = true;
    } else {
      job = arg;
    }
  }
  if (usageError || job.empty()) {
    std::fprintf(stderr, "usage: checker confirm -c FILE [--peers A,B] JOB (see checker help confirm)\n");
    return kExitUsage;
  }
  ConfigLoad load = loadConfigFile(options.configPath);
  if (!load.ok()) {
    for (const std::string& e : load.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  for (const std::string& name : peers) {
    bool known = false;
    for (const PeerSettings& p : load.config.peers) known |= p.name == name && !p.secret.empty();
    if (!known) {
      std::fprintf(stderr, "checker confirm: '%s' is not a [peers] entry with a secret in %s (confirmation is signed)\n",
                   name.c_str(), options.configPath.c_str());
      return kExitUsage;
    }
  }
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<ipc::ControlRequest>().initConfirm();
  request.setJob(job);
  auto names = request.initPeers(static_cast<unsigned>(peers.size()));
  for (unsigned i = 0; i < peers.size(); ++i) names.set(i, peers[i]);
  // checkerd answers within [peerd] timeout + the peers' run allowance + its margin (5 s).
  int timeoutMs = static_cast<int>(load.config.peerd.timeout.count()) + static_cast<int>(peerd::kMaxConfirmWaitMs) + 15'000;
  Result<ControlAnswerText> reply = askCheckerd(load.config.general.stateDir, builder, timeoutMs);
  if (!reply) {
    std::fprintf(stderr, "checker confirm: %s\n", reply.error().c_str());
    return kExitTemporary;
  }
  std::printf("%s\n", reply->message.c_str());
  return reply->ok ? kExitOk : kExitUnhealthy;
}

}  // namespace checker::cli
