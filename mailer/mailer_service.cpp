#include "mailer/mailer_service.h"

#include <capnp/message.h>

#include <algorithm>
#include <memory>

#include "common/clock.h"
#include "common/log.h"
#include "common/random_token.h"
#include "mailer/mail_message.h"

namespace checker::mailer {
namespace {

// A control message is one outbox entry: subject, a body of a few KiB.
constexpr size_t kMaxControlBytes = 1 << 20;

// Mail servers limit connections per client (Dovecot answers 421 beyond its
// limit, providers throttle): a few connections per server, reused, and the
// other transfers wait their turn inside libcurl.
constexpr long kMaxConnectionsPerServer = 4;

std::string text(capnp::Text::Reader value) { return std::string(value.cStr(), value.size()); }

}  // namespace

MailerService::MailerService(uv_loop_t* loop, const Config& config, int controlFd)
    : config_(config),
      control_(loop, controlFd, kMaxControlBytes,
               [this](ipc::DecodedMessage& message) { handle(message.root<ipc::ToMailer>()); },
               [this](const char* why) { stop(why); }),
      curl_(loop, kMaxConnectionsPerServer),
      smtp_(curl_, smtpSettingsFrom(config)),
      channels_(curl_, config),
      imap_(curl_, imapSettingsFrom(config)),
      selfCheck_(loop, config, smtp_, imap_) {}

void MailerService::start() {
  if (config_.email.noMail) {
    CHECKER_LOG_INFO("nomail is set: mail is logged, never sent");
  } else {
    CHECKER_LOG_INFO("sending through %s:%u (%s) as %s", smtp_.settings().host.c_str(), smtp_.settings().port,
                     tlsModeName(smtp_.settings().tls), smtp_.settings().from.c_str());
  }
  control_.start();
}

void MailerService::handle(ipc::ToMailer::Reader message) {
  switch (message.which()) {
    case ipc::ToMailer::SEND:
      return send(message.getSend());
    case ipc::ToMailer::SELF_CHECK:
      return selfCheck(message.getSelfCheck());
    case ipc::ToMailer::SHUTDOWN:
      return stop("asked to shut down");
    case ipc::ToMailer::SEND_GROUP:
      return sendGroup(message.getSendGroup());
  }
}

void MailerService::send(ipc::OutboxEntry::Reader entry) {
  uint64_t id = entry.getId();
  // A webhook, Slack or ntfy notice: no recipients, and nomail (which is
  // about mail) does not hold it back.
  std::string channel = text(entry.getChannel());
  if (!channel.empty() && !isMailChannel(config_, channel)) {
    return channels_.send(entry, [this, id](SmtpOutcome outcome) { answer(id, outcome); });
  }
  sendMail({id}, entry.getTo(), text(entry.getSubject()), text(entry.getBody()));
}

void MailerService::sendMail(const std::vector<uint64_t>& ids, capnp::List<capnp::Text>::Reader recipients,
                             const std::string& subject, const std::string& body) {
  auto answerAll = [this, ids](const SmtpOutcome& outcome) {
    for (uint64_t id : ids) answer(id, outcome);
  };
  std::vector<std::string> to;
  for (auto address : recipients) {
    std::string one = text(address);
    if (Result<> valid = validMailbox(one); !valid) {
      SmtpOutcome refused;
      refused.permanent = true;
      refused.serverReply = "not sent: recipient '" + one + "': " + valid.error();
      return answerAll(refused);
    }
    to.push_back(one);
  }
  if (to.empty()) {
    SmtpOutcome refused;
    refused.permanent = true;
    refused.serverReply = "not sent: no recipient";
    return answerAll(refused);
  }
  if (config_.email.noMail) {
    CHECKER_LOG_INFO("nomail: would send entry %llu to %s: %s", static_cast<unsigned long long>(ids.front()),
                     to.front().c_str(), subject.c_str());
    SmtpOutcome notSent;
    notSent.accepted = true;
    notSent.serverReply = "not sent (nomail)";
    return answerAll(notSent);
  }
  ComposeInput input;
  input.from = smtp_.settings().from;
  input.to = to;
  input.subject = subject;
  input.body = body;
  input.entryId = ids.front();
  input.serverName = config_.general.serverName;
  input.nowUnixMs = wallClockNowMs();
  input.uniqueToken = randomHex(8);
  input.bustGmailThreading = config_.email.bustGmailThreading;
  smtp_.send(to, composeMessage(input), answerAll);
}

// One mail for ENTRIES (an email channel's group): each entry's subject
// and body in turn, under a subject that counts them.
void MailerService::sendMailGroup(capnp::List<ipc::OutboxEntry>::Reader entries) {
  std::vector<uint64_t> ids;
  size_t recoveries = 0;
  std::string body;
  for (ipc::OutboxEntry::Reader entry : entries) {
    ids.push_back(entry.getId());
    bool recovery = entry.getKind() == ipc::MailKind::RECOVERY || entry.getKind() == ipc::MailKind::PEER_RECOVERY;
    recoveries += recovery ? 1 : 0;
    body += (body.empty() ? "" : "\n\n") + std::string(70, '-') + "\n" + text(entry.getSubject()) + "\n\n" +
            text(entry.getBody());
  }
  size_t failures = ids.size() - recoveries;
  std::string subject = "[" + config_.general.serverName + "] ";
  if (failures > 0) subject += std::to_string(failures) + (failures == 1 ? " job failing" : " jobs failing");
  if (failures > 0 && recoveries > 0) subject += ", ";
  if (recoveries > 0) subject += std::to_string(recoveries) + " recovered";
  sendMail(ids, entries[0].getTo(), subject, body);
}

void MailerService::sendGroup(capnp::List<ipc::OutboxEntry>::Reader entries) {
  auto ids = std::make_shared<std::vector<uint64_t>>();  // answered together
  for (ipc::OutboxEntry::Reader entry : entries) ids->push_back(entry.getId());
  if (ids->empty()) return;
  std::string channel = text(entries[0].getChannel());
  if (channel.empty()) {
    for (ipc::OutboxEntry::Reader entry : entries) send(entry);  // checkerd never groups alertcontact's mail
    return;
  }
  if (isMailChannel(config_, channel)) return sendMailGroup(entries);
  auto refuseOne = [this, ids](uint64_t id, SmtpOutcome outcome) {
    ids->erase(std::remove(ids->begin(), ids->end(), id), ids->end());
    answer(id, outcome);
  };
  channels_.sendGroup(entries, refuseOne, [this, ids](SmtpOutcome outcome) {
    for (uint64_t id : *ids) answer(id, outcome);
  });
}

void MailerService::answer(uint64_t entryId, const SmtpOutcome& outcome) {
  if (stopping_) return;  // aborted at shutdown: not acked, sent again later
  if (!outcome.accepted) {
    CHECKER_LOG_WARN("entry %llu: %s: %s", static_cast<unsigned long long>(entryId),
                     outcome.permanent ? "refused for good" : "not sent now", outcome.serverReply.c_str());
  }
  capnp::MallocMessageBuilder builder;
  auto result = builder.initRoot<ipc::FromMailer>().initSendResult();
  result.setEntryId(entryId);
  result.setAccepted(outcome.accepted);
  result.setPermanent(outcome.permanent);
  result.setServerReply(outcome.serverReply);
  write(ipc::encode(builder));
}

void MailerService::selfCheck(ipc::SelfCheckRequest::Reader request) {
  std::string token = text(request.getToken());
  auto reply = [this, token](const SelfCheckOutcome& outcome) {
    if (stopping_) return;
    CHECKER_LOG_INFO("self-check %s: %s%s%s", token.c_str(), outcome.ok ? "ok" : "FAILED at ", outcome.step.c_str(),
                     (": " + outcome.message).c_str());
    capnp::MallocMessageBuilder builder;
    auto result = builder.initRoot<ipc::FromMailer>().initSelfCheckResult();
    result.setToken(token);
    result.setOk(outcome.ok);
    result.setStep(outcome.step);
    result.setMessage(outcome.message);
    write(ipc::encode(builder));
  };
  if (config_.email.noMail) return reply({false, "nomail", "nomail is set: no probe is sent"});
  if (config_.email.imapServer.empty()) return reply({false, "imap", "no imapserver configured"});
  selfCheck_.run(token, request.getDeadlineMs(), reply);
}

void MailerService::write(std::string bytes) {
  control_.write(std::move(bytes));
}

void MailerService::stop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  CHECKER_LOG_INFO("stopping: %s", why);
  selfCheck_.close();
  curl_.close();
  control_.close();
}

}  // namespace checker::mailer
