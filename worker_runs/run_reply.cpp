#include "worker_runs/run_reply.h"

#include <cmath>

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

// What the job measured, as the supervisor keeps it: at most
// kMaxMeasurementsPerRun, each text one clean line within its cap, finite
// values only, no name twice (the first wins). A worker is not trusted to
// have applied any of it.
RunMeasurements measurementsFrom(ipc::JobResult::Reader result) {
  RunMeasurements measured;
  int64_t latency = result.getLatencyUs();
  measured.latencyUs = latency < 0 ? -1 : latency;
  for (ipc::Measurement::Reader m : result.getMeasurements()) {
    if (measured.named.size() == kMaxMeasurementsPerRun) break;
    RunMeasurement kept{cleanLine(view(m.getName()), kMaxMeasurementNameBytes), m.getValue(),
                        cleanLine(view(m.getUnit()), kMaxMeasurementFieldBytes),
                        cleanLine(view(m.getWarn()), kMaxMeasurementFieldBytes),
                        cleanLine(view(m.getCrit()), kMaxMeasurementFieldBytes),
                        cleanLine(view(m.getMin()), kMaxMeasurementFieldBytes),
                        cleanLine(view(m.getMax()), kMaxMeasurementFieldBytes)};
    if (kept.name.empty() || !std::isfinite(kept.value)) continue;
    bool seen = false;
    for (const RunMeasurement& other : measured.named) seen = seen || other.name == kept.name;
    if (!seen) measured.named.push_back(std::move(kept));
  }
  return measured;
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
  facts.measured = measurementsFrom(result);
  return facts;
}

}  // namespace checker
