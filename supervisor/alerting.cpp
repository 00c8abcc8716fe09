// Policy -> notice -> outbox entry, for one finished run.
#include "supervisor/alerting.h"

#include "common/log.h"
#include "state/policy.h"
#include "supervisor/alert_text.h"

namespace checker {

ChannelNoticeFacts channelNoticeFacts(const Config& config, const JobDefinition& job, const char* state,
                                      ipc::Outcome outcome, const std::string& message, int64_t sinceUnixMs,
                                      uint32_t failures, int64_t nowUnixMs) {
  ChannelNoticeFacts facts;
  facts.instance = config.general.serverName;
  facts.jobId = job.id();
  facts.jobName = job.name();
  facts.jobType = job.type();
  facts.state = state;
  facts.outcome = outcomeName(outcome);
  facts.message = message;
  facts.sinceUnixMs = sinceUnixMs;
  facts.atUnixMs = nowUnixMs;
  facts.failures = failures;
  facts.pageUrl = config.general.pageUrl;
  return facts;
}

std::vector<std::string> Alerting::recipientsOf(const JobDefinition& job) const {
  if (job.system() && job.type() == "peer") return {job.param("admin")};
  return config_.general.alertContacts;
}

std::vector<std::string> Alerting::channelsOf(const JobDefinition& job) const {
  if (job.system() && job.type() == "peer") {
    // Always the peer's admin, by mail (the original's rule); then [peerd] notify_to's.
    std::vector<std::string> channels{kBuiltInEmailChannel};
    for (const std::string& name : job.notify().to) {
      if (name != kBuiltInEmailChannel) channels.push_back(name);
    }
    return channels;
  }
  return job.notify().to.empty() ? config_.general.notifyTo : job.notify().to;
}

std::vector<OutboxMail> Alerting::noticesFor(const JobDefinition& job, const OutboxMail& mail, const JobRecord& before,
                                             const JobRecord& after, const ClassifiedRun& run, int64_t now) const {
  bool recovery = mail.kind == ipc::MailKind::RECOVERY || mail.kind == ipc::MailKind::PEER_RECOVERY;
  std::vector<OutboxMail> notices;
  for (const std::string& name : channelsOf(job)) {
    const ChannelSettings* channel = findChannel(config_, name);
    if (channel == nullptr) {  // the built-in one (a name the config does not know is refused at load)
      notices.push_back(mail);
      continue;
    }
    OutboxMail notice = mail;
    if (channel->type == ChannelType::email) {
      notice.to = channel->to;
      notice.channel = channel->name;  // still a mail (the mailer knows it), counted as that channel's
      notices.push_back(std::move(notice));
      continue;
    }
    notice.to = {channelLabel(*channel)};
    notice.body.clear();
    notice.channel = channel->name;
    notice.facts = channelNoticeFacts(
        config_, job, recovery ? "recovered" : "failing", run.outcome, run.message,
        recovery ? before.policy.firstFailureUnixMs : after.policy.firstFailureUnixMs,
        recovery ? before.policy.consecutiveFailures : after.policy.consecutiveFailures, now);
    notices.push_back(std::move(notice));
  }
  return notices;
}

void Alerting::record(const JobDefinition& job, JobRecord& after, const RunResult& result) {
  const ClassifiedRun& run = result.run;
  int64_t now = clock_.wallMs();
  JobRecord before = after;
  PolicyDecision decision = applyPolicy(before.policy, run.outcome == ipc::Outcome::OK, now, job.notify());
  after.policy = decision.next;
  ++after.runs;
  after.lastOutcome = run.outcome;
  after.lastMessage = run.message;
  FinishedRun finished{job.id(),  job.name(),  job.type(),  after,          result.startedUnixMs, result.durationMs,
                       run.outcome, run.signal, run.message, {}, result.peer, result.facts.measured};
  std::optional<OutboxMail> mail;
  if (decision.notice == NoticeKind::failure) {
    mail = composeFailureMail(job, after, run, result.facts.failureNotice, config_.general.serverName,
                              recipientsOf(job));
  } else if (decision.notice == NoticeKind::recovery) {
    mail = composeRecoveryMail(job, before, run, result.facts.recoveryNotice, config_.general.serverName,
                               recipientsOf(job), now);
  }
  if (finished.peer) {
    finished.peer->sinceUnixMs = after.policy.firstFailureUnixMs;
    if (mail) mail->kind = mail->kind == ipc::MailKind::RECOVERY ? ipc::MailKind::PEER_RECOVERY : ipc::MailKind::PEER_ALERT;
  }
  if (mail) finished.notices = noticesFor(job, *mail, before, after, run, now);
  if (run.outcome != ipc::Outcome::OK) {
    CHECKER_LOG_WARN("job %s: %s after %u ms: %s", job.name().c_str(), outcomeName(run.outcome), result.durationMs,
                     run.message.c_str());
  } else if (before.policy.health != after.policy.health) {
    CHECKER_LOG_INFO("job %s: ok after %u ms%s", job.name().c_str(), result.durationMs,
                     before.policy.health == JobHealth::failing ? " (recovered)" : "");
  }
  writer_.add(std::move(finished));
  requestFlush_();
}

}  // namespace checker
