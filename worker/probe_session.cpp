#include "worker/probe_session.h"

#include <capnp/message.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "common/log.h"
#include "common/sys_error.h"
#include "config/job_catalog.h"
#include "ipc/framing.h"
#include "jobs/net_connect.h"
#include "jobs/net_jobs.h"
#include "jobs/run_job.h"
#include "process/exit_codes.h"
#include "worker/handlers.h"
#include "worker/probe_fibers.h"
#include "worker/reply.h"
#include "worker/request.h"
#include "worker/sandbox.h"

namespace checker::worker {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Results not yet taken by the supervisor: past this, no new probe starts
// until it reads (a supervisor that stops reading cannot grow us).
constexpr size_t kMaxPendingOutput = 8 << 20;

class ProbeServer {
 public:
  explicit ProbeServer(uint32_t maxInFlight) : maxInFlight_(maxInFlight == 0 ? 1 : maxInFlight) {}

  int serve() {
    while (inputOpen_ || loop_.fibers() > 0 || !output_.empty()) {
      bool accepting = inputOpen_ && loop_.fibers() < maxInFlight_ && output_.size() < kMaxPendingOutput;
      pollfd own[2] = {{accepting ? STDIN_FILENO : -1, POLLIN, 0}, {STDOUT_FILENO, static_cast<short>(output_.empty() ? 0 : POLLOUT), 0}};
      if (Result<> turned = loop_.turn(own, 2, std::chrono::steady_clock::now() + std::chrono::hours(1)); !turned) {
        CHECKER_LOG_ERROR("probe worker: %s", turned.error().c_str());
        return kExitParentGone;
      }
      if (own[0].revents != 0 && !readRequests()) return kExitBadRequest;
      if (own[1].revents & (POLLERR | POLLHUP)) return kExitParentGone;  // nobody reads our results
      if ((own[1].revents & POLLOUT) && !writeOutput()) return kExitParentGone;
    }
    return kExitOk;
  }

 private:
  // False on a malformed request: the supervisor never sends one.
  bool readRequests() {
    char buffer[kReadChunk];
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      inputOpen_ = false;
      return true;
    }
    if (n < 0) return true;
    reader_.feed(buffer, static_cast<size_t>(n));
    while (reader_.status() == ipc::FrameStatus::ready) start(reader_.take());
    if (reader_.status() == ipc::FrameStatus::error) {
      CHECKER_LOG_ERROR("probe worker: bad probe request: %s", reader_.error().c_str());
      return false;
    }
    return true;
  }

  void start(std::unique_ptr<ipc::DecodedMessage> message) {
    uint64_t probeId = 0;
    std::string type;
    JobParams params;
    JobRunContext context;
    try {
      auto request = message->root<ipc::ProbeRequest>();
      probeId = request.getProbeId();
      type = request.getRun().getType().cStr();
      params = runParams(request.getRun());
      context = runContext(request.getRun());
    } catch (const ipc::FrameError& e) {
      CHECKER_LOG_ERROR("probe worker: bad probe request: %s", e.what());
      inputOpen_ = false;
      return;
    }
    if (!isProbeType(type)) return answer(probeId, failed("'" + type + "' is not a type a probe worker runs"));
    Result<> spawned = loop_.spawn([this, probeId, type = std::move(type), params = std::move(params),
                                    context = std::move(context)] { answer(probeId, runJob(type, params, context, "")); });
    if (!spawned) answer(probeId, failed("probe worker: " + spawned.error()));
  }

  static JobRunOutcome failed(std::string message) {
    JobRunOutcome outcome;
    outcome.message = std::move(message);
    return outcome;
  }

  void answer(uint64_t probeId, const JobRunOutcome& outcome) {
    capnp::MallocMessageBuilder builder(128);  // a result is a few hundred bytes: no 8 KiB first segment to zero
    auto reply = builder.initRoot<ipc::ProbeReply>();
    reply.setProbeId(probeId);
    setOutcome(reply.initResult(), outcome);
    output_ += ipc::encode(builder);
  }

  bool writeOutput() {
    ssize_t n = ::write(STDOUT_FILENO, output_.data(), output_.size());
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    output_.erase(0, static_cast<size_t>(n));
    return true;
  }

  uint32_t maxInFlight_;
  FiberLoop loop_;
  ipc::FrameReader reader_{kMaxRequestBytes};
  std::string output_;
  bool inputOpen_ = true;
};

}  // namespace

int serveProbeSession(ipc::ProbeSession::Reader request, const Result<>& session) {
  Result<> sandboxed = session ? applySandbox(request.getSandbox(), request.getLimits())
                               : Result<>(Error{"sandbox: session: " + session.error()});
  if (!sandboxed) {
    CHECKER_LOG_ERROR("probe worker: %s", sandboxed.error().c_str());
    return kExitSandboxFailed;
  }
  setFdWaiter(&FiberLoop::wait);
  // http and tls_cert live in the module; a module that cannot be loaded
  // fails those probes with its reason, as it fails their runs.
  if (Result<> installed = installNetJobsFdWaiter(&FiberLoop::wait); !installed) {
    CHECKER_LOG_WARN("probe worker: %s", installed.error().c_str());
  }
  for (int fd : {STDIN_FILENO, STDOUT_FILENO}) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      CHECKER_LOG_ERROR("probe worker: %s", describeErrno("fcntl", "O_NONBLOCK", errno).c_str());
      return kExitParentGone;
    }
  }
  return ProbeServer(request.getMaxInFlight()).serve();
}

}  // namespace checker::worker
