// checker test-email -c FILE [--to ADDRESS]: one test message through the
// same mailer checkerd uses (checker-mailer, started here for this one
// message with the same config), and what the server said. The default
// recipients are the alert contacts. Exit 0 when the server accepted it.
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <capnp/message.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "config/config.h"
#include "ipc/framing.h"
#include "ipc/mailer.capnp.h"
#include "worker_runs/run_once.h"
#include "common/clock.h"

extern char** environ;

namespace checker::cli {
namespace {

// Long enough for a slow server's TLS handshake, AUTH and DATA.
constexpr int kAnswerTimeoutMs = 120'000;

}  // namespace

int testEmail(const CommonOptions& options) {
  std::vector<std::string> to;
  for (size_t i = 0; i < options.rest.size(); ++i) {
    if (options.rest[i] == "--to" && i + 1 < options.rest.size()) {
      to.push_back(options.rest[++i]);
    } else {
      std::fprintf(stderr, "checker test-email: unknown argument '%s' (usage: test-email [--to ADDRESS])\n",
                   options.rest[i].c_str());
      return kExitUsage;
    }
  }
  ConfigLoad load = loadConfigFile(options.configPath);
  for (const std::string& warning : load.warnings) std::fprintf(stderr, "%s\n", warning.c_str());
  if (!load.ok()) {
    for (const std::string& error : load.errors) std::fprintf(stderr, "%s\n", error.c_str());
    return kExitUsage;
  }
  const Config& config = load.config;
  if (to.empty()) to = config.general.alertContacts;
  if (to.empty()) {
    std::fprintf(stderr, "checker test-email: no recipient: give --to ADDRESS or set [general] alertcontact\n");
    return kExitUsage;
  }

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    std::perror("checker test-email: socketpair");
    return kExitUnhealthy;
  }
  std::string mailer = defaultMailerPath();
  std::string parent = "--parent-pid=" + std::to_string(::getpid());
  char* argv[] = {mailer.data(), const_cast<char*>("-c"), const_cast<char*>(options.configPath.c_str()),
                  parent.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pair[1], 3);  // dup2 clears close-on-exec
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, mailer.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pair[1]);
  if (rc != 0) {
    std::fprintf(stderr, "checker test-email: cannot start %s: %s\n", mailer.c_str(), std::strerror(rc));
    ::close(pair[0]);
    return kExitUnhealthy;
  }

  capnp::MallocMessageBuilder message;
  auto entry = message.initRoot<ipc::ToMailer>().initSend();
  entry.setId(1);
  entry.setCreatedUnixMs(wallClockNowMs());
  entry.setKind(ipc::MailKind::TEST);
  entry.setJobId("test-email");
  auto list = entry.initTo(static_cast<unsigned>(to.size()));
  for (unsigned i = 0; i < to.size(); ++i) list.set(i, to[i]);
  entry.setSubject("[" + config.general.serverName + "] checker test message");
  entry.setBody("This is a test message from checker on " + config.general.serverName +
                ", sent with `checker test-email`.\nIf you read this, alerts can reach you.\n");
  int exitCode = kExitUnhealthy;
  try {
    ipc::writeMessage(pair[0], message);
    pollfd ready{pair[0], POLLIN, 0};
    if (::poll(&ready, 1, kAnswerTimeoutMs) <= 0) {
      std::fprintf(stderr, "checker test-email: no answer from the mailer in %d s\n", kAnswerTimeoutMs / 1000);
    } else if (auto reply = ipc::readMessage(pair[0], 64 * 1024); reply && reply->root<ipc::FromMailer>().isSendResult()) {
      auto result = reply->root<ipc::FromMailer>().getSendResult();
      std::printf("%s: %s\n", result.getAccepted() ? "accepted" : (result.getPermanent() ? "refused" : "not sent"),
                  result.getServerReply().cStr());
      exitCode = result.getAccepted() ? kExitOk : kExitUnhealthy;
    } else {
      std::fprintf(stderr, "checker test-email: the mailer ended without an answer (see its log above)\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker test-email: %s\n", e.what());
  }
  ::close(pair[0]);  // the mailer reads end-of-file and exits
  int status = 0;
  ::waitpid(pid, &status, 0);
  return exitCode;
}

}  // namespace checker::cli
