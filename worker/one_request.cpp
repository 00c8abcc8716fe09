#include "worker/one_request.h"

#include <capnp/message.h>
#include <unistd.h>

#include <string>

#include "common/log.h"
#include "worker/handlers.h"
#include "worker/process_setup.h"
#include "worker/reply.h"
#include "worker/request.h"

namespace checker::worker {

int serveOneRequest(pid_t parent) { return answerOneRequest(prepareWorkerProcess(parent)); }

std::string prepareWorkerProcess(pid_t parent) {
  watchParent(parent);
  std::string sessionError;
  ensureOwnSession(&sessionError);
  resetInheritedSignals();
  return sessionError;
}

int answerOneRequest(const std::string& sessionError) {
  std::string error;
  auto message = readRequest(STDIN_FILENO, &error);
  if (!message) {
    CHECKER_LOG_ERROR("bad request: %s", error.c_str());
    return kExitBadRequest;
  }
  auto request = message->root<ipc::WorkerRequest>();

  capnp::MallocMessageBuilder replyMessage;
  auto reply = replyMessage.initRoot<ipc::WorkerReply>();
  if (request.isRun()) {
    handleRun(request.getRun(), sessionError, reply);
  } else {
    handleDescribe(request.getDescribe(), sessionError, reply);
  }
  if (!writeReply(STDOUT_FILENO, replyMessage, &error)) {
    CHECKER_LOG_ERROR("writing the reply: %s", error.c_str());
    return kExitParentGone;
  }
  return kExitOk;
}

}  // namespace checker::worker
