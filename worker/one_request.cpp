#include "worker/one_request.h"

#include <capnp/message.h>
#include <unistd.h>

#include <string>

#include "common/log.h"
#include "worker/handlers.h"
#include "worker/probe_session.h"
#include "worker/process_setup.h"
#include "worker/reply.h"
#include "worker/request.h"

namespace checker::worker {

int serveOneRequest(pid_t parent) { return answerOneRequest(prepareWorkerProcess(parent)); }

Result<> prepareWorkerProcess(pid_t parent) {
  watchParent(parent);
  Result<> session = ensureOwnSession();
  resetInheritedSignals();
  return session;
}

int answerOneRequest(const Result<>& session) {
  Result<std::unique_ptr<ipc::DecodedMessage>> message = readRequest(STDIN_FILENO);
  if (!message) {
    CHECKER_LOG_ERROR("bad request: %s", message.error().c_str());
    return kExitBadRequest;
  }
  auto request = (*message)->root<ipc::WorkerRequest>();
  if (request.isProbes()) return serveProbeSession(request.getProbes(), session);  // many results, no one reply

  capnp::MallocMessageBuilder replyMessage(128);  // most replies fit 1 KiB: fewer fresh pages in a forked worker
  auto reply = replyMessage.initRoot<ipc::WorkerReply>();
  if (request.isRun()) {
    handleRun(request.getRun(), session, reply);
  } else {
    handleDescribe(request.getDescribe(), session, reply);
  }
  if (Result<> written = writeReply(STDOUT_FILENO, replyMessage); !written) {
    CHECKER_LOG_ERROR("writing the reply: %s", written.error().c_str());
    return kExitParentGone;
  }
  return kExitOk;
}

}  // namespace checker::worker
