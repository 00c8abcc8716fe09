#include "mailer/self_check.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "mailer/mail_message.h"

namespace checker::mailer {
namespace {

// Every probe's subject carries this, so late probes of earlier checks are
// found and deleted too.
constexpr const char* kProbeMarker = "checker self-check";

}  // namespace

std::string SelfCheck::probeSubject(const std::string& serverName, const std::string& token) {
  return "[" + serverName + "] " + kProbeMarker + " " + token;
}

SelfCheck::SelfCheck(uv_loop_t* loop, const Config& config, SmtpSender& smtp, ImapClient& imap)
    : loop_(loop), config_(config), smtp_(smtp), imap_(imap) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  mailbox_ = config_.email.deleteSentAutomatically ? config_.email.trashFolder : "INBOX";
}

SelfCheck::~SelfCheck() = default;

void SelfCheck::close() {
  if (closed_) return;
  closed_ = true;
  done_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void SelfCheck::run(const std::string& token, uint32_t deadlineMs, Done done) {
  if (done_) return done({false, "busy", "a self-check is still running"});
  token_ = token;
  done_ = std::move(done);
  startedMs_ = uv_now(loop_);
  deadlineMs_ = startedMs_ + deadlineMs;
  // Ten looks within the deadline, at most one every 2 s, at least 250 ms apart.
  intervalMs_ = std::clamp<uint64_t>(deadlineMs / 10, 250, 2000);
  const SmtpSettings& smtp = smtp_.settings();
  ComposeInput probe;
  probe.from = smtp.from;
  probe.to = {smtp.from};
  probe.subject = probeSubject(config_.general.serverName, token);
  probe.body = "checker's email self-check: this message proves that mail from " + config_.general.serverName +
               " arrives. It is deleted when found.\n";
  probe.serverName = config_.general.serverName;
  probe.nowUnixMs = wallClockNowMs();
  probe.uniqueToken = token;
  smtp_.send(probe.to, composeMessage(probe), [this](SmtpOutcome sent) {
    if (closed_) return;
    if (!sent.accepted) {
      std::string step = sent.step == "send" ? "send" : "send (" + sent.step + ")";
      return finish({false, step, "the probe was not accepted by " + smtp_.settings().host + ": " + sent.serverReply});
    }
    poll();
  });
}

void SelfCheck::poll() {
  imap_.search(mailbox_, token_, [this](const ImapFailure& failure, std::vector<std::string> uids) {
    if (closed_) return;
    if (!failure.step.empty()) {
      return finish({false, "imap " + failure.step, "reading " + mailbox_ + " on " + config_.email.imapServer + ": " +
                                                        failure.message});
    }
    uint64_t waited = uv_now(loop_) - startedMs_;
    if (uids.empty()) {
      if (uv_now(loop_) + intervalMs_ > deadlineMs_) {
        return finish({false, "not-arrived",
                       "the probe did not arrive in " + mailbox_ + " within " + std::to_string(waited / 1000) + " s"});
      }
      uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<SelfCheck*>(t->data)->poll(); }, intervalMs_, 0);
      return;
    }
    // Arrived. Delete it and every older probe still there.
    imap_.search(mailbox_, kProbeMarker, [this, waited](const ImapFailure& searched, std::vector<std::string> all) {
      if (closed_) return;
      if (!searched.step.empty()) all.clear();
      imap_.remove(mailbox_, all, [this, waited, count = all.size()](const ImapFailure& removed) {
        if (closed_) return;
        std::string note = removed.step.empty() ? "" : "; deleting the probes failed: " + removed.message;
        if (!removed.step.empty()) CHECKER_LOG_WARN("self-check: %s", note.c_str() + 2);
        finish({true, "", "the probe arrived after " + std::to_string(waited) + " ms; " + std::to_string(count) +
                              " probe(s) deleted" + note});
      });
    });
  });
}

void SelfCheck::finish(SelfCheckOutcome outcome) {
  uv_timer_stop(&timer_);
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(outcome);
}

}  // namespace checker::mailer
