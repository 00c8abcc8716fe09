#include "mailer/mailer_service.h"

#include <capnp/message.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/random_token.h"
#include "mailer/mail_message.h"

namespace checker::mailer {
namespace {

// A control message is one outbox entry: subject, a body of a few KiB.
constexpr size_t kMaxControlBytes = 1 << 20;

std::string text(capnp::Text::Reader value) { return std::string(value.cStr(), value.size()); }

void allocate(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char buffer[64 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

}  // namespace

MailerService::MailerService(uv_loop_t* loop, const Config& config, int controlFd)
    : loop_(loop),
      config_(config),
      reader_(kMaxControlBytes),
      curl_(loop),
      smtp_(curl_, smtpSettingsFrom(config)),
      imap_(curl_, imapSettingsFrom(config)),
      selfCheck_(loop, config, smtp_, imap_) {
  uv_pipe_init(loop_, &control_, 0);
  uv_pipe_open(&control_, controlFd);
  control_.data = this;
}

void MailerService::start() {
  if (config_.email.noMail) {
    CHECKER_LOG_INFO("nomail is set: mail is logged, never sent");
  } else {
    CHECKER_LOG_INFO("sending through %s:%u (%s) as %s", smtp_.settings().host.c_str(), smtp_.settings().port,
                     tlsModeName(smtp_.settings().tls), smtp_.settings().from.c_str());
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&control_), allocate, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    auto* self = static_cast<MailerService*>(s->data);
    if (n > 0) self->onControlBytes(b->base, static_cast<size_t>(n));
    if (n < 0) self->stop(n == UV_EOF ? "the supervisor closed the control socket" : uv_strerror(static_cast<int>(n)));
  });
}

void MailerService::onControlBytes(const char* data, size_t size) {
  ipc::FrameStatus status = reader_.feed(data, size);
  while (status == ipc::FrameStatus::ready) {
    auto message = reader_.take();
    try {
      handle(message->root<ipc::ToMailer>());
    } catch (const std::exception& e) {
      CHECKER_LOG_ERROR("bad message from the supervisor: %s", e.what());
      return stop("bad control message");
    }
    if (stopping_) return;
    status = reader_.status();
  }
  if (status == ipc::FrameStatus::error) {
    CHECKER_LOG_ERROR("bad bytes from the supervisor: %s", reader_.error().c_str());
    stop("bad control bytes");
  }
}

void MailerService::handle(ipc::ToMailer::Reader message) {
  switch (message.which()) {
    case ipc::ToMailer::SEND:
      return send(message.getSend());
    case ipc::ToMailer::SELF_CHECK:
      return selfCheck(message.getSelfCheck());
    case ipc::ToMailer::SHUTDOWN:
      return stop("asked to shut down");
  }
}

void MailerService::send(ipc::OutboxEntry::Reader entry) {
  uint64_t id = entry.getId();
  std::vector<std::string> to;
  std::string why;
  for (auto address : entry.getTo()) {
    std::string one = text(address);
    if (!validMailbox(one, &why)) {
      SmtpOutcome refused;
      refused.permanent = true;
      refused.serverReply = "not sent: recipient '" + one + "': " + why;
      return answer(id, refused);
    }
    to.push_back(one);
  }
  if (to.empty()) {
    SmtpOutcome refused;
    refused.permanent = true;
    refused.serverReply = "not sent: no recipient";
    return answer(id, refused);
  }
  if (config_.email.noMail) {
    CHECKER_LOG_INFO("nomail: would send entry %llu to %s: %s", static_cast<unsigned long long>(id), to.front().c_str(),
                     text(entry.getSubject()).c_str());
    SmtpOutcome notSent;
    notSent.accepted = true;
    notSent.serverReply = "not sent (nomail)";
    return answer(id, notSent);
  }
  ComposeInput input;
  input.from = smtp_.settings().from;
  input.to = to;
  input.subject = text(entry.getSubject());
  input.body = text(entry.getBody());
  input.entryId = id;
  input.serverName = config_.general.serverName;
  input.nowUnixMs = wallClockNowMs();
  input.uniqueToken = randomHex(8);
  input.bustGmailThreading = config_.email.bustGmailThreading;
  smtp_.send(to, composeMessage(input), [this, id](SmtpOutcome outcome) { answer(id, outcome); });
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
  auto* owned = new std::string(std::move(bytes));
  auto* request = new uv_write_t;
  request->data = owned;
  uv_buf_t buf = uv_buf_init(owned->data(), static_cast<unsigned>(owned->size()));
  int rc = uv_write(request, reinterpret_cast<uv_stream_t*>(&control_), &buf, 1, [](uv_write_t* r, int) {
    delete static_cast<std::string*>(r->data);
    delete r;
  });
  if (rc != 0) {
    delete owned;
    delete request;
    stop("cannot write to the supervisor");
  }
}

void MailerService::stop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  CHECKER_LOG_INFO("stopping: %s", why);
  selfCheck_.close();
  curl_.close();
  uv_close(reinterpret_cast<uv_handle_t*>(&control_), nullptr);
}

}  // namespace checker::mailer
