// checker test-email -c FILE [--to ADDRESS]: one test message through the
// same mailer checkerd uses (checker-mailer, started here for this one
// message with the same config, started the way checkerd starts it), and
// what the server said. The default recipients are the alert contacts.
// Exit 0 when the server accepted it.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <capnp/message.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/sys_error.h"
#include "config/config.h"
#include "ipc/framing.h"
#include "ipc/mailer.capnp.h"
#include "process/helper_child.h"
#include "common/unique_fd.h"
#include "worker_runs/run_once.h"

namespace checker::cli {
namespace {

// Long enough for a slow server's TLS handshake, AUTH and DATA.
constexpr int kAnswerTimeoutMs = 120'000;

// checker-mailer for this one message, started exactly as checkerd starts
// it (process/helper_child.h): an empty environment (no proxy or locale of
// the caller's reaches curl), its own session, the socket on fd 3. The
// caller talks to it blocking over control(); finish() closes the socket,
// so the mailer exits, and waits for that on a loop of its own.
class MailerChild {
 public:
  MailerChild() { uv_loop_init(&loop_); }
  ~MailerChild() {
    finish();
    uv_loop_close(&loop_);
  }
  MailerChild(const MailerChild&) = delete;
  MailerChild& operator=(const MailerChild&) = delete;

  Result<> start(const std::string& path, const std::string& configPath) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      return Error{describeErrno("socketpair", "AF_UNIX, SOCK_STREAM", errno)};
    }
    control_.reset(pair[0]);
    UniqueFd theirs(pair[1]);  // the child has its copy once spawned
    std::string program = path.substr(path.rfind('/') + 1);
    int rc = spawnHelperChild(&loop_, &process_, path,
                              {program, "-c", configPath, "--parent-pid=" + std::to_string(::getpid())},
                              theirs.get(), [](uv_process_t* p, int64_t, int) {
                                uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr);
                              });
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&process_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
      return Error{"cannot start " + path + ": " + uv_strerror(rc)};
    }
    return {};
  }

  int control() const { return control_.get(); }

  void finish() {
    control_.reset();  // the mailer reads end-of-file and exits
    uv_run(&loop_, UV_RUN_DEFAULT);  // until its exit closed the process handle
  }

 private:
  uv_loop_t loop_{};
  uv_process_t process_{};
  UniqueFd control_;
};

// The recipients given with --to, or the exit code of a bad argument.
Result<std::vector<std::string>> givenRecipients(const CommonOptions& options) {
  std::vector<std::string> to;
  for (size_t i = 0; i < options.rest.size(); ++i) {
    if (options.rest[i] != "--to" || i + 1 >= options.rest.size()) {
      return Error{"checker test-email: unknown argument '" + options.rest[i] +
                   "' (usage: test-email [--to ADDRESS])"};
    }
    to.push_back(options.rest[++i]);
  }
  return to;
}

void fillTestMessage(capnp::MallocMessageBuilder& message, const Config& config, const std::vector<std::string>& to) {
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
}

// Sends MESSAGE over FD and prints the mailer's answer; the exit code.
int exchange(int fd, capnp::MallocMessageBuilder& message) {
  try {
    ipc::writeMessage(fd, message);
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, kAnswerTimeoutMs) <= 0) {
      std::fprintf(stderr, "checker test-email: no answer from the mailer in %d s\n", kAnswerTimeoutMs / 1000);
    } else if (auto reply = ipc::readMessage(fd, 64 * 1024); reply && reply->root<ipc::FromMailer>().isSendResult()) {
      auto result = reply->root<ipc::FromMailer>().getSendResult();
      std::printf("%s: %s\n", result.getAccepted() ? "accepted" : (result.getPermanent() ? "refused" : "not sent"),
                  result.getServerReply().cStr());
      return result.getAccepted() ? kExitOk : kExitUnhealthy;
    } else {
      std::fprintf(stderr, "checker test-email: the mailer ended without an answer (see its log above)\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker test-email: %s\n", e.what());
  }
  return kExitUnhealthy;
}

}  // namespace

int testEmail(const CommonOptions& options) {
  Result<std::vector<std::string>> to = givenRecipients(options);
  if (!to) {
    std::fprintf(stderr, "%s\n", to.error().c_str());
    return kExitUsage;
  }
  ConfigLoad load = loadConfigFile(options.configPath);
  for (const std::string& warning : load.warnings) std::fprintf(stderr, "%s\n", warning.c_str());
  if (!load.ok()) {
    for (const std::string& error : load.errors) std::fprintf(stderr, "%s\n", error.c_str());
    return kExitUsage;
  }
  const Config& config = load.config;
  if (to->empty()) *to = config.general.alertContacts;
  if (to->empty()) {
    std::fprintf(stderr, "checker test-email: no recipient: give --to ADDRESS or set [general] alertcontact\n");
    return kExitUsage;
  }
  MailerChild mailer;
  if (Result<> started = mailer.start(defaultMailerPath(), options.configPath); !started) {
    std::fprintf(stderr, "checker test-email: %s\n", started.error().c_str());
    return kExitUnhealthy;
  }
  capnp::MallocMessageBuilder message;
  fillTestMessage(message, config, *to);
  int exitCode = exchange(mailer.control(), message);
  mailer.finish();
  return exitCode;
}

}  // namespace checker::cli
