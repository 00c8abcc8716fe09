// The mailer as the supervisor sees it: outbox delivery and the email
// self-check, the system job "system:email" due on `[email] selfcheck_every`.
// Its result goes through the same policy, state and outbox as any job's,
// so a broken mail path is a failing job in `checker status`.
#include "supervisor/mail_link.h"

#include "common/log.h"
#include "common/random_token.h"

namespace checker {
namespace {

// The mailer gets the deadline to find the probe; this much more for the
// SMTP and IMAP round trips before the supervisor gives up on an answer.
constexpr uint64_t kAnswerSlackMs = 60'000;

}  // namespace

MailLink::MailLink(uv_loop_t* loop, Clock& clock, const Config& config, StateWriter& writer, RunSink& sink,
                   std::string mailerPath, Hooks hooks)
    : loop_(loop),
      clock_(clock),
      config_(config),
      writer_(writer),
      sink_(sink),
      mailerPath_(std::move(mailerPath)),
      hooks_(std::move(hooks)) {}

MailLink::~MailLink() = default;

Result<> MailLink::open(StateStore& store) {
  {
    ReadTransaction txn = store.beginRead();
    lastSelfCheck_ = readLastSelfCheck(txn);
  }
  if (mailerPath_.empty()) return {};
  outbox_ = std::make_unique<OutboxDelivery>(loop_, writer_, hooks_.requestFlush);
  mailer_ = std::make_unique<HelperChannel>(loop_, "mailer", mailerPath_, config_.path,
                                            static_cast<HelperChannel::Listener*>(this));
  uv_timer_init(loop_, &guard_);
  guard_.data = this;
  outbox_->setMailer(mailer_.get());
  tester_ = std::make_unique<ChannelTester>(loop_, config_, writer_, outbox_.get(), hooks_.requestFlush);
  outbox_->setGroupWait([this](const std::string& name) -> int64_t {
    const ChannelSettings* channel = findChannel(config_, name);
    return channel == nullptr ? 0 : channel->groupWait.count();
  });
  if (Result<> started = mailer_->start(); !started) return started;
  outbox_->start();
  return {};
}

bool MailLink::runsSelfCheck() const { return mailer_ != nullptr && selfCheckOffReason(config_.email).empty(); }

JobRunner::Start MailLink::start(const JobDefinition& job, uint64_t runId) {
  if (selfCheck_.runId != 0 || !mailer_) return Start::notStarted;  // one at a time
  const char* notRunning = "send: the mailer is not running (it is being restarted)";
  if (!mailer_->ready()) return notStarted(runId, notRunning);
  selfCheck_ = {runId, job.name(), randomHex(12), clock_.wallMs(), clock_.monoMs()};
  uint32_t deadlineMs = static_cast<uint32_t>(config_.email.selfCheckDeadline.count());
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<ipc::ToMailer>().initSelfCheck();
  request.setToken(selfCheck_.token);
  request.setDeadlineMs(deadlineMs);
  if (!mailer_->send(message)) {
    selfCheck_ = {};
    return notStarted(runId, notRunning);
  }
  CHECKER_LOG_INFO("job %s: self-check %s started (deadline %u ms)", job.name().c_str(), selfCheck_.token.c_str(),
                   deadlineMs);
  uv_timer_start(&guard_, [](uv_timer_t* t) { static_cast<MailLink*>(t->data)->onGuardExpired(); },
                 deadlineMs + kAnswerSlackMs, 0);
  return Start::started;
}

JobRunner::Start MailLink::notStarted(uint64_t runId, const std::string& why) {
  noteSelfCheck(false, why);
  RunResult result;
  result.run = ClassifiedRun{ipc::Outcome::FAILED, 0, why};
  result.startedUnixMs = clock_.wallMs();
  sink_.runNotStarted(runId, std::move(result));
  return Start::notStarted;
}

void MailLink::onGuardExpired() {
  if (selfCheck_.runId == 0) return;
  CHECKER_LOG_WARN("job %s: self-check %s ended: %s", selfCheck_.jobName.c_str(), selfCheck_.token.c_str(),
                   "no answer from the mailer");
  SelfCheckRun run = takeRun();
  RunResult result;
  result.run = ClassifiedRun{ipc::Outcome::TIMED_OUT, 0, "the mailer did not answer the self-check in time"};
  result.startedUnixMs = run.startedUnixMs;
  result.durationMs = static_cast<uint32_t>(clock_.monoMs() - run.startedMonoMs);
  noteSelfCheck(false, result.run.message);
  sink_.runFinished(run.runId, std::move(result));
}

void MailLink::onSelfCheckResult(ipc::SelfCheckResult::Reader answer) {
  if (selfCheck_.runId == 0 || selfCheck_.token != answer.getToken().cStr()) return;  // a late answer
  SelfCheckRun run = takeRun();
  std::string message = answer.getOk() ? std::string(answer.getMessage().cStr())
                                       : std::string(answer.getStep().cStr()) + ": " + answer.getMessage().cStr();
  RunResult result;
  result.run = ClassifiedRun{answer.getOk() ? ipc::Outcome::OK : ipc::Outcome::FAILED, 0, message};
  result.startedUnixMs = run.startedUnixMs;
  result.durationMs = static_cast<uint32_t>(clock_.monoMs() - run.startedMonoMs);
  noteSelfCheck(answer.getOk(), message);
  sink_.runFinished(run.runId, std::move(result));
}

void MailLink::endRunUnrecorded(const char* why) {
  if (selfCheck_.runId == 0) return;
  CHECKER_LOG_WARN("job %s: self-check %s ended: %s", selfCheck_.jobName.c_str(), selfCheck_.token.c_str(), why);
  SelfCheckRun run = takeRun();
  sink_.runEnded(run.runId, Unrecorded::other);
}

MailLink::SelfCheckRun MailLink::takeRun() {
  SelfCheckRun run = std::move(selfCheck_);
  selfCheck_ = {};
  uv_timer_stop(&guard_);
  return run;
}

void MailLink::noteSelfCheck(bool ok, const std::string& message) {
  int64_t now = clock_.wallMs();
  writer_.recordSelfCheck(now, ok, message);
  lastSelfCheck_ = SelfCheckState{now, ok, message};
  hooks_.mailHealthChanged();  // peers learn of a broken (or mended) mail path now
}

void MailLink::takeNewOutbox() {
  if (outbox_) {
    outbox_->takeNew();
  } else {
    writer_.takeNewOutbox();  // no mailer here (a benchmark): entries wait in the state
  }
}

std::vector<OutboxStatus> MailLink::outboxStatuses() const {
  return outbox_ ? outbox_->statuses() : std::vector<OutboxStatus>{};
}

std::map<std::pair<std::string, std::string>, int64_t> MailLink::lastRefusedNotices() const {
  return outbox_ ? outbox_->lastRefusedNotices() : std::map<std::pair<std::string, std::string>, int64_t>{};
}

MailHealth MailLink::health(int64_t nowUnixMs) const {
  return mailHealth(lastSelfCheck_, outboxStatuses(), nowUnixMs);
}

void MailLink::testChannel(const std::string& channel, ChannelTester::Done done) {
  if (!tester_) return done({false, "checkerd runs without a mailer: nothing is sent"});
  tester_->test(channel, std::move(done));
}

void MailLink::restartIfChanged(const Config& before) {
  // The outbox resends what the mailer had not answered (at least once).
  if (mailer_ && (!(before.general == config_.general) || !(before.email == config_.email) ||
                  before.channels != config_.channels)) {
    CHECKER_LOG_INFO("reload: [email], [general] or a [channel] changed: restarting the mailer");
    mailer_->restart();
  }
}

void MailLink::close() {
  // Entries the mailer has not answered stay in the outbox: sent again at
  // the next start.
  if (tester_) tester_->stop();
  if (outbox_) outbox_->stop();
  if (!mailer_) return;
  endRunUnrecorded("the supervisor stops");
  uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
  mailer_->stop();
}

void MailLink::onChildReady(HelperChannel&) {
  if (outbox_) outbox_->onMailerReady();
}

void MailLink::onChildMessage(HelperChannel&, ipc::DecodedMessage& decoded) {
  auto message = decoded.root<ipc::FromMailer>();
  if (message.isSendResult() && outbox_) outbox_->onSendResult(message.getSendResult());
  if (message.isSelfCheckResult()) onSelfCheckResult(message.getSelfCheckResult());
}

void MailLink::onChildLost(HelperChannel&) {
  if (outbox_) outbox_->onMailerLost();
  // Not the mail path's fault as far as anyone knows: the next check decides.
  endRunUnrecorded("the mailer went away during the check; not recorded");
}

}  // namespace checker
