// Policy -> notice -> outbox entry, for one finished run.
#include "supervisor/alerting.h"

#include "common/log.h"
#include "state/policy.h"
#include "supervisor/alert_text.h"

namespace checker {

std::vector<std::string> Alerting::recipientsOf(const JobDefinition& job) const {
  if (job.system() && job.type() == "peer") return {job.param("admin")};
  return config_.general.alertContacts;
}

void Alerting::record(const JobDefinition& job, JobRecord& after, const RunResult& result) {
  const ClassifiedRun& run = result.run;
  int64_t now = clock_.wallMs();
  JobRecord before = after;
  PolicyDecision decision = applyPolicy(before.policy, run.outcome == ipc::Outcome::OK, now, job.notify());
  after.policy = decision.next;
  ++after.runs;
  FinishedRun finished{job.id(),  job.name(),  job.type(),  after,          result.startedUnixMs, result.durationMs,
                       run.outcome, run.signal, run.message, std::nullopt, result.peer, result.facts.measured};
  if (decision.notice == NoticeKind::failure) {
    finished.mail = composeFailureMail(job, after, run, result.facts.failureNotice, config_.general.serverName,
                                       recipientsOf(job));
  } else if (decision.notice == NoticeKind::recovery) {
    finished.mail = composeRecoveryMail(job, before, run, result.facts.recoveryNotice, config_.general.serverName,
                                        recipientsOf(job), now);
  }
  if (finished.peer) {
    finished.peer->sinceUnixMs = after.policy.firstFailureUnixMs;
    if (finished.mail) {
      finished.mail->kind = finished.mail->kind == ipc::MailKind::RECOVERY ? ipc::MailKind::PEER_RECOVERY
                                                                          : ipc::MailKind::PEER_ALERT;
    }
  }
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
