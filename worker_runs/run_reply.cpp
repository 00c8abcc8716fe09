#include "worker_runs/run_reply.h"

#include "common/utf8_text.h"

namespace checker {
namespace {

// The worker's own caps (worker/reply.h: kMaxMessageBytes, kMaxDetailsBytes);
// a worker is not trusted to have applied them.
constexpr size_t kMaxNoticeBodyBytes = 16 * 1024;

std::string_view view(capnp::Text::Reader text) { return std::string_view(text.cStr(), text.size()); }

std::optional<ComposedNotice> noticeFrom(bool has, ipc::Notice::Reader n) {
  if (!has) return std::nullopt;
  return ComposedNotice{cleanLine(view(n.getSubject()), kMaxLineBytes),
                        cleanLines(view(n.getBody()), kMaxNoticeBodyBytes)};
}

}  // namespace

std::string firstLineOf(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return cleanLine(line, kMaxLineBytes);
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
    return interpretResult(reply.getResult(), obs);
  } catch (const ipc::FrameError& e) {
    obs.reply = ReplyState::malformed;
    obs.replyError = e.what();
  }
  return facts;
}

ReplyFacts interpretResult(ipc::JobResult::Reader result, RunObservation& obs) {
  ReplyFacts facts;
  if (result.getOutcome() != ipc::Outcome::OK && result.getOutcome() != ipc::Outcome::FAILED) {
    obs.reply = ReplyState::wrongKind;
    obs.replyError = std::string("outcome '") + outcomeName(result.getOutcome()) + "' is not the worker's to report";
    return facts;
  }
  obs.jobOk = result.getOutcome() == ipc::Outcome::OK;
  obs.jobMessage = firstLineOf(view(result.getMessage()));
  obs.jobSignal = result.getSignal();
  obs.jobDeadlineExceeded = result.getDeadlineExceeded();
  facts.failureNotice = noticeFrom(result.hasFailureNotice(), result.getFailureNotice());
  facts.recoveryNotice = noticeFrom(result.hasRecoveryNotice(), result.getRecoveryNotice());
  return facts;
}

}  // namespace checker
