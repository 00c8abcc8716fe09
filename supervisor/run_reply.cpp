#include "supervisor/run_reply.h"

namespace checker {
namespace {

constexpr size_t kMaxMessageBytes = 1024;

std::optional<ComposedNotice> noticeFrom(bool has, ipc::Notice::Reader n) {
  if (!has) return std::nullopt;
  return ComposedNotice{n.getSubject(), n.getBody()};
}

}  // namespace

std::string firstLineOf(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > kMaxMessageBytes) line.resize(kMaxMessageBytes);
  return line;
}

ReplyFacts interpretReply(WorkerRunReport& report) {
  ReplyFacts facts;
  RunObservation& obs = report.observation;
  if (obs.reply != ReplyState::ok || !report.reply) return facts;
  try {
    auto reply = report.reply->root<ipc::WorkerReply>();
    if (!reply.isResult()) {
      obs.reply = ReplyState::wrongKind;
      obs.replyError = "a description where a run result was expected";
      return facts;
    }
    auto result = reply.getResult();
    if (result.getOutcome() != ipc::Outcome::OK && result.getOutcome() != ipc::Outcome::FAILED) {
      obs.reply = ReplyState::wrongKind;
      obs.replyError = std::string("outcome '") + outcomeName(result.getOutcome()) + "' is not the worker's to report";
      return facts;
    }
    obs.jobOk = result.getOutcome() == ipc::Outcome::OK;
    obs.jobMessage = firstLineOf(result.getMessage());
    obs.jobSignal = result.getSignal();
    obs.jobDeadlineExceeded = result.getDeadlineExceeded();
    facts.failureNotice = noticeFrom(result.hasFailureNotice(), result.getFailureNotice());
    facts.recoveryNotice = noticeFrom(result.hasRecoveryNotice(), result.getRecoveryNotice());
  } catch (const ipc::FrameError& e) {
    obs.reply = ReplyState::malformed;
    obs.replyError = e.what();
  }
  return facts;
}

}  // namespace checker
