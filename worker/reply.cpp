#include "worker/reply.h"

#include <algorithm>
#include <csignal>
#include <exception>

#include "common/sys_error.h"
#include "ipc/framing.h"
#include "state/run_measurements.h"

namespace checker::worker {
namespace {

constexpr std::string_view kTruncated = "\n[truncated]";

// Longer texts keep their lines, and say when they were cut.
std::string capDetails(std::string_view text) {
  if (text.size() <= kMaxDetailsBytes) return std::string(text);
  return capText(text, kMaxDetailsBytes - kTruncated.size()) + std::string(kTruncated);
}

void setNotice(ipc::Notice::Builder notice, const JobNotice& from) {
  notice.setSubject(messageLine(from.subject));
  notice.setBody(capDetails(from.body));
}

}  // namespace

std::string capText(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string messageLine(std::string_view text) {
  size_t newline = text.find('\n');
  if (newline != std::string_view::npos) text = text.substr(0, newline);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return capText(text, kMaxMessageBytes);
}

namespace {

// The first kMaxMeasurementsPerRun, each text within its cap: a job's
// numbers never make a reply too big (the supervisor checks again).
void setMeasurements(ipc::JobResult::Builder result, const std::vector<JobMeasurement>& measurements) {
  size_t count = std::min(measurements.size(), kMaxMeasurementsPerRun);
  auto list = result.initMeasurements(static_cast<unsigned>(count));
  for (size_t i = 0; i < count; ++i) {
    const JobMeasurement& m = measurements[i];
    auto out = list[static_cast<unsigned>(i)];
    out.setName(capText(m.name, kMaxMeasurementNameBytes));
    out.setValue(m.value);
    out.setUnit(capText(m.unit, kMaxMeasurementFieldBytes));
    out.setWarn(capText(m.warn, kMaxMeasurementFieldBytes));
    out.setCrit(capText(m.crit, kMaxMeasurementFieldBytes));
    out.setMin(capText(m.min, kMaxMeasurementFieldBytes));
    out.setMax(capText(m.max, kMaxMeasurementFieldBytes));
  }
}

}  // namespace

void setFailed(ipc::JobResult::Builder result, std::string_view message) {
  result.setOutcome(ipc::Outcome::FAILED);
  result.setMessage(messageLine(message));
  result.setDurationMs(0);
}

void setOutcome(ipc::JobResult::Builder result, const JobRunOutcome& outcome) {
  result.setOutcome(outcome.ok ? ipc::Outcome::OK : ipc::Outcome::FAILED);
  result.setMessage(messageLine(outcome.message));
  result.setDurationMs(outcome.durationMs);
  result.setDetails(capDetails(outcome.details));
  result.setSignal(outcome.signal);
  result.setDeadlineExceeded(outcome.deadlineExceeded);
  result.setLatencyUs(outcome.latencyUs);
  setMeasurements(result, outcome.measurements);
  if (outcome.failureNotice) setNotice(result.initFailureNotice(), *outcome.failureNotice);
  if (outcome.recoveryNotice) setNotice(result.initRecoveryNotice(), *outcome.recoveryNotice);
}

Result<> writeReply(int fd, capnp::MessageBuilder& message) {
  ::signal(SIGPIPE, SIG_IGN);
  try {
    ipc::writeMessage(fd, message);
    return {};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

}  // namespace checker::worker
