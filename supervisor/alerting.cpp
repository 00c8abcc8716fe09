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
  const bool failed = run.outcome != ipc::Outcome::OK;
  PolicyDecision decision = applyPolicy(before.policy, !failed, now, job.notify());
  GateFacts facts = gate_.factsOf ? gate_.factsOf(job, before, failed, now) : GateFacts{};
  GateDecision gated = gateRun(before.policy, decision, failed, before.gate, facts, job.notify().flap, now);
  after.policy = gated.policy;
  after.gate = gated.gate;
  ++after.runs;
  after.lastOutcome = run.outcome;
  after.lastMessage = run.message;
  after.lastStartedUnixMs = result.startedUnixMs;
  FinishedRun finished{job.id(),  job.name(),  job.type(),  after,          result.startedUnixMs, result.durationMs,
                       run.outcome, run.signal, run.message, {}, result.peer, result.facts.measured};
  finished.note = gated.note;
  std::optional<OutboxMail> mail;
  switch (gated.notice) {
    case GateNotice::none:
      break;
    case GateNotice::failure:
      mail = composeFailureMail(job, after, run, result.facts.failureNotice, config_.general.serverName,
                                recipientsOf(job));
      if (before.gate.flapping) appendNote(*mail, "It has stopped flapping.");
      if (!gated.confirmedBy.empty()) appendNote(*mail, "Confirmed by its peers: " + gated.confirmedBy + ".");
      break;
    case GateNotice::recovery:
      mail = composeRecoveryMail(job, before, run, result.facts.recoveryNotice, config_.general.serverName,
                                 recipientsOf(job), now);
      if (before.gate.flapping) appendNote(*mail, "It has stopped flapping.");
      break;
    case GateNotice::flapping:
      mail = composeFlappingMail(job, run, after.gate.holdReason, config_.general.serverName, recipientsOf(job));
      break;
  }
  if (finished.peer) {
    finished.peer->sinceUnixMs = after.policy.firstFailureUnixMs;
    if (mail) mail->kind = mail->kind == ipc::MailKind::RECOVERY ? ipc::MailKind::PEER_RECOVERY : ipc::MailKind::PEER_ALERT;
  }
  if (mail) {
    ClassifiedRun told = run;
    if (gated.notice == GateNotice::flapping) told.message = after.gate.holdReason + ": " + run.message;
    if (!gated.confirmedBy.empty()) told.message += " (" + gated.confirmedBy + ")";
    finished.notices = noticesFor(job, *mail, before, after, told, now);
  }
  if (failed) {
    CHECKER_LOG_WARN("job %s: %s after %u ms: %s", job.name().c_str(), outcomeName(run.outcome), result.durationMs,
                     run.message.c_str());
  } else if (before.policy.health != after.policy.health) {
    CHECKER_LOG_INFO("job %s: ok after %u ms%s", job.name().c_str(), result.durationMs,
                     before.policy.health == JobHealth::failing ? " (recovered)" : "");
  }
  if (!gated.note.empty()) CHECKER_LOG_INFO("job %s: %s", job.name().c_str(), gated.note.c_str());
  if (after.gate.flapping != before.gate.flapping) {
    CHECKER_LOG_INFO("job %s: %s", job.name().c_str(),
                     after.gate.flapping ? after.gate.holdReason.c_str() : "no longer flapping");
  }
  writer_.add(std::move(finished));
  requestFlush_();
  // After the run is in the batch: an answer that comes at once amends it.
  if (gated.askPeers && gate_.askPeers) gate_.askPeers(job, after);
  if (gate_.recorded) gate_.recorded(job);
}

void Alerting::release(const JobDefinition& job, JobRecord& record, const GateFacts& facts) {
  int64_t now = clock_.wallMs();
  GateDecision gated = gateRelease(record.policy, record.gate, facts, job.notify(), now);
  if (gated.notice == GateNotice::none && gated.gate == record.gate) return;
  JobRecord before = record;
  record.policy = gated.policy;
  record.gate = gated.gate;
  if (before.gate.hold != record.gate.hold) {
    CHECKER_LOG_INFO("job %s: %s", job.name().c_str(),
                     record.gate.hold == NoticeHold::none ? ("notices no longer held (" + before.gate.holdReason + ")").c_str()
                                                          : ("notices held: " + record.gate.holdReason).c_str());
  }
  if (gated.notice == GateNotice::failure) {
    ClassifiedRun last{record.lastOutcome, 0, record.lastMessage};
    OutboxMail mail = composeFailureMail(job, record, last, std::nullopt, config_.general.serverName, recipientsOf(job));
    ClassifiedRun told = last;
    if (!gated.confirmedBy.empty()) {
      appendNote(mail, "Confirmed by its peers: " + gated.confirmedBy + ".");
      told.message += " (" + gated.confirmedBy + ")";
    } else {
      appendNote(mail, "Its notice was held (" + before.gate.holdReason + "); it is still failing.");
      told.message += " (held: " + before.gate.holdReason + "; still failing)";
    }
    if (job.system() && job.type() == "peer") mail.kind = ipc::MailKind::PEER_ALERT;
    for (OutboxMail& notice : noticesFor(job, mail, before, record, told, now)) {
      writer_.queueNotice(job.id(), std::move(notice));
    }
    CHECKER_LOG_INFO("job %s: %s", job.name().c_str(), gated.note.c_str());
  }
  writer_.amendRecord(job.id(), record);
  requestFlush_();
  if (gated.askPeers && gate_.askPeers) gate_.askPeers(job, record);
}

void Alerting::tellOwnAdmin(const std::string& subject, const std::string& body) {
  OutboxMail mail;
  mail.kind = ipc::MailKind::ALERT;
  mail.to = config_.general.alertContacts;
  mail.subject = "[" + config_.general.serverName + "] " + subject;
  mail.body = body;
  writer_.queueNotice("system:confirm", std::move(mail));
  requestFlush_();
}

}  // namespace checker
