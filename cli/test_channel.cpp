// checker test-channel -c FILE NAME: asks the checkerd running on FILE's
// state directory (its control socket, ipc/control.capnp) to send a test
// notice to channel NAME through its outbox and mailer, the path every
// notice takes, and prints the receiver's answer. One attempt, never
// retried (supervisor/channel_tester.h); `email` and email channels get a
// test mail. Exit 0 accepted; 1 not accepted, or no answer in time; 2 bad
// usage or a name the config does not know; 111 no checkerd answered.
#include <capnp/message.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "cli/nearest_name.h"
#include "config/config.h"
#include "ipc/control.capnp.h"

namespace checker::cli {
namespace {

// checkerd answers by the channel's timeout plus its margin (10 s; two
// minutes for a mail); the CLI waits this much longer for that answer.
constexpr int kMarginOverCheckerdMs = 20'000;
constexpr int kMailAnswerMs = 120'000;

// The known channel names: "email", then each [channel NAME].
std::vector<std::string_view> channelNames(const Config& config) {
  std::vector<std::string_view> names{kBuiltInEmailChannel};
  for (const ChannelSettings& channel : config.channels) names.emplace_back(channel.name);
  return names;
}

int answerTimeoutMs(const Config& config, const std::string& name) {
  const ChannelSettings* channel = findChannel(config, name);
  if (channel == nullptr || channel->type == ChannelType::email) return kMailAnswerMs + kMarginOverCheckerdMs;
  return static_cast<int>(channel->timeout.count()) + kMarginOverCheckerdMs;
}

}  // namespace

int testChannel(const CommonOptions& options) {
  if (options.rest.size() != 1 || options.rest[0].starts_with("-")) {
    std::fprintf(stderr, "usage: checker test-channel -c FILE NAME (see checker help test-channel)\n");
    return kExitUsage;
  }
  const std::string& name = options.rest[0];
  ConfigLoad load = loadConfigFile(options.configPath);
  if (!load.ok()) {
    for (const std::string& e : load.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  std::vector<std::string_view> names = channelNames(load.config);
  if (name != kBuiltInEmailChannel && findChannel(load.config, name) == nullptr) {
    std::string nearest = nearestName(name, names);
    std::string known;
    for (std::string_view n : names) known += (known.empty() ? "" : ", ") + std::string(n);
    std::fprintf(stderr, "checker test-channel: %s has no channel '%s'%s (its channels: %s)\n",
                 options.configPath.c_str(), name.c_str(),
                 nearest.empty() ? "" : ("; did you mean '" + nearest + "'?").c_str(), known.c_str());
    return kExitUsage;
  }
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ControlRequest>().setTestChannel(name);
  Result<ControlAnswerText> reply =
      askCheckerd(load.config.general.stateDir, builder, answerTimeoutMs(load.config, name));
  if (!reply) {
    std::fprintf(stderr, "checker test-channel: %s\n", reply.error().c_str());
    return kExitTemporary;
  }
  std::printf("%s\n", reply->message.c_str());
  return reply->ok ? kExitOk : kExitUnhealthy;
}

}  // namespace checker::cli
