#include "supervisor/alert_text.h"

#include <ctime>

namespace checker {

std::string formatUtc(int64_t unixMs) {
  time_t seconds = static_cast<time_t>(unixMs / 1000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

namespace {

std::string facts(const JobDefinition& job, const std::string& outcome, const std::string& message,
                  const std::string& serverName) {
  return "Job: " + job.name() + " (" + job.id() + ")\n" + "Outcome: " + outcome + "\n" + "Message: " + message + "\n" +
         "Host: " + serverName + "\n";
}

OutboxMail mail(ipc::MailKind kind, const std::vector<std::string>& to, std::string subject, std::string body) {
  OutboxMail m;
  m.kind = kind;
  m.to = to;
  m.subject = std::move(subject);
  m.body = std::move(body);
  return m;
}

}  // namespace

OutboxMail composeFailureMail(const JobDefinition& job, const JobRecord& after, const ClassifiedRun& run,
                              const std::optional<ComposedNotice>& fromJob, const std::string& serverName,
                              const std::vector<std::string>& to) {
  std::string subject = "[" + serverName + "] " +
                        (fromJob && !fromJob->subject.empty() ? fromJob->subject : job.name() + " is failing: " + run.message);
  std::string body = facts(job, outcomeName(run.outcome), run.message, serverName) +
                     "Failing since: " + formatUtc(after.policy.firstFailureUnixMs) + " (" +
                     std::to_string(after.policy.consecutiveFailures) + " failure(s) in a row)\n";
  if (fromJob && !fromJob->body.empty()) body += "\n" + fromJob->body + "\n";
  return mail(ipc::MailKind::ALERT, to, subject, body);
}

OutboxMail composeRecoveryMail(const JobDefinition& job, const JobRecord& before, const ClassifiedRun& run,
                               const std::optional<ComposedNotice>& fromJob, const std::string& serverName,
                               const std::vector<std::string>& to, int64_t nowUnixMs) {
  std::string subject =
      "[" + serverName + "] " + (fromJob && !fromJob->subject.empty() ? fromJob->subject : job.name() + " recovered");
  std::string body = facts(job, outcomeName(run.outcome), run.message, serverName) + "Was failing from " +
                     formatUtc(before.policy.firstFailureUnixMs) + " to " + formatUtc(nowUnixMs) + " (" +
                     std::to_string(before.policy.consecutiveFailures) + " failure(s))\n";
  if (fromJob && !fromJob->body.empty()) body += "\n" + fromJob->body + "\n";
  return mail(ipc::MailKind::RECOVERY, to, subject, body);
}

OutboxMail composeFlappingMail(const JobDefinition& job, const ClassifiedRun& run, const std::string& reason,
                               const std::string& serverName, const std::vector<std::string>& to) {
  std::string subject = "[" + serverName + "] " + job.name() + " is " + reason;
  std::string body = facts(job, outcomeName(run.outcome), run.message, serverName) + "State: " + reason +
                     "\nNo notice is sent while it flaps; one more follows when it settles, with the state it "
                     "settled in.\n";
  return mail(ipc::MailKind::ALERT, to, subject, body);
}

void appendNote(OutboxMail& mail, const std::string& note) { mail.body += "\n" + note + "\n"; }

}  // namespace checker
