// The email self-check as the supervisor sees it: the system job
// "system:email", due on `[email] selfcheck_every`, run by the mailer (which
// sends a probe and reads it back over IMAP; mailer/self_check.h) instead
// of a worker. Its result goes through the same policy, state and outbox as
// any job's, so a broken mail path is a failing job in `checker status`.
#include "common/log.h"
#include "common/random_token.h"
#include "supervisor/supervisor.h"

namespace checker {
namespace {

// The mailer gets the deadline to find the probe; this much more for the
// SMTP and IMAP round trips before the supervisor gives up on an answer.
constexpr uint64_t kAnswerSlackMs = 60'000;

}  // namespace

bool Supervisor::isSelfCheck(const Job& job) const {
  return job.def.system() && job.def.type() == "email_selfcheck" && mailer_ != nullptr &&
         selfCheckOffReason(config_.email).empty();
}

void Supervisor::startSelfCheck(size_t index) {
  Job& job = jobs_[index];
  if (selfCheck_.job != SIZE_MAX) return;  // one at a time; counted as an overrun by onDue
  ClassifiedRun notRun{ipc::Outcome::FAILED, 0, "send: the mailer is not running (it is being restarted)"};
  if (!mailer_->ready()) {
    noteSelfCheck(false, notRun.message);
    return recordOutcome(job, notRun, {}, wallClockNowMs(), 0);
  }
  selfCheck_ = {index, randomHex(12), wallClockNowMs(), uv_now(loop_)};
  uint32_t deadlineMs = static_cast<uint32_t>(config_.email.selfCheckDeadline.count());
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<ipc::ToMailer>().initSelfCheck();
  request.setToken(selfCheck_.token);
  request.setDeadlineMs(deadlineMs);
  if (!mailer_->send(message)) {
    selfCheck_ = {};
    noteSelfCheck(false, notRun.message);
    return recordOutcome(job, notRun, {}, wallClockNowMs(), 0);
  }
  job.phase = Phase::running;
  ++running_;
  ++stats_.runsStarted;
  CHECKER_LOG_INFO("job %s: self-check %s started (deadline %u ms)", job.def.name().c_str(), selfCheck_.token.c_str(),
                   deadlineMs);
  uv_timer_start(&selfCheckGuard_, [](uv_timer_t* t) {
    auto* self = static_cast<Supervisor*>(t->data);
    if (self->selfCheck_.job == SIZE_MAX) return;
    size_t jobIndex = self->selfCheck_.job;
    int64_t started = self->selfCheck_.startedUnixMs;
    uint32_t took = static_cast<uint32_t>(uv_now(self->loop_) - self->selfCheck_.startedMonoMs);
    self->endSelfCheckUnrecorded("no answer from the mailer");
    ClassifiedRun silent{ipc::Outcome::TIMED_OUT, 0, "the mailer did not answer the self-check in time"};
    self->noteSelfCheck(false, silent.message);
    self->recordOutcome(self->jobs_[jobIndex], silent, {}, started, took);
  }, deadlineMs + kAnswerSlackMs, 0);
}

void Supervisor::onSelfCheckResult(ipc::SelfCheckResult::Reader result) {
  if (selfCheck_.job == SIZE_MAX || selfCheck_.token != result.getToken().cStr()) return;  // a late answer
  size_t index = selfCheck_.job;
  int64_t started = selfCheck_.startedUnixMs;
  uint32_t took = static_cast<uint32_t>(uv_now(loop_) - selfCheck_.startedMonoMs);
  endSelfCheckUnrecorded(nullptr);
  std::string message = result.getOk() ? std::string(result.getMessage().cStr())
                                       : std::string(result.getStep().cStr()) + ": " + result.getMessage().cStr();
  ClassifiedRun run{result.getOk() ? ipc::Outcome::OK : ipc::Outcome::FAILED, 0, message};
  noteSelfCheck(result.getOk(), message);
  recordOutcome(jobs_[index], run, {}, started, took);
}

void Supervisor::endSelfCheckUnrecorded(const char* why) {
  if (selfCheck_.job == SIZE_MAX) return;
  Job& job = jobs_[selfCheck_.job];
  if (why != nullptr) CHECKER_LOG_WARN("job %s: self-check %s ended: %s", job.def.name().c_str(), selfCheck_.token.c_str(), why);
  job.phase = Phase::idle;
  --running_;
  ++stats_.runsFinished;
  selfCheck_ = {};
  uv_timer_stop(&selfCheckGuard_);
}

void Supervisor::noteSelfCheck(bool ok, const std::string& message) {
  int64_t now = wallClockNowMs();
  writer_.recordSelfCheck(now, ok, message);
  lastSelfCheck_ = SelfCheckState{now, ok, message};
  pushHealth();  // peers learn of a broken (or mended) mail path now
}

void Supervisor::onMailerReady() {
  if (outbox_) outbox_->onMailerReady();
}

void Supervisor::onMailerMessage(ipc::DecodedMessage& decoded) {
  auto message = decoded.root<ipc::FromMailer>();
  if (message.isSendResult() && outbox_) outbox_->onSendResult(message.getSendResult());
  if (message.isSelfCheckResult()) onSelfCheckResult(message.getSelfCheckResult());
}

void Supervisor::onMailerLost() {
  if (outbox_) outbox_->onMailerLost();
  // Not the mail path's fault as far as anyone knows: the next check decides.
  endSelfCheckUnrecorded("the mailer went away during the check; not recorded");
  finishStopIfIdle();
}

}  // namespace checker
