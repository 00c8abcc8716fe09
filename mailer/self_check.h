#pragma once
// The email self-check: proves the alert path by mailing a probe with a
// fresh token to the instance's own address, then polling IMAP until the
// probe is there or the deadline passes. The mailbox searched is INBOX, or
// the trash folder when the account deletes sent mail by itself
// (`ideletesentmessagesautomatically`, the original's Gmail filter). Every
// probe found (this one and late ones of earlier checks) is deleted, so
// the mailbox does not fill up. A failure names the step that broke:
// send (or its connect/tls/auth), imap connect/tls/auth/search, or
// not-arrived.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "mailer/imap_client.h"
#include "mailer/smtp_sender.h"

namespace checker::mailer {

struct SelfCheckOutcome {
  bool ok = false;
  std::string step;     // "" when ok
  std::string message;  // one line
};

class SelfCheck {
 public:
  using Done = std::function<void(const SelfCheckOutcome&)>;

  SelfCheck(uv_loop_t* loop, const Config& config, SmtpSender& smtp, ImapClient& imap);
  ~SelfCheck();  // after close()
  // One check at a time; a check asked for while one runs fails at once.
  void run(const std::string& token, uint32_t deadlineMs, Done done);
  void close();

  // The subject of a probe: what the search looks for.
  static std::string probeSubject(const std::string& serverName, const std::string& token);

 private:
  void poll();
  void finish(SelfCheckOutcome outcome);

  uv_loop_t* loop_;
  const Config& config_;
  SmtpSender& smtp_;
  ImapClient& imap_;
  uv_timer_t timer_{};
  std::string token_;
  std::string mailbox_;
  uint64_t startedMs_ = 0, deadlineMs_ = 0, intervalMs_ = 0;
  Done done_;
  bool closed_ = false;
};

}  // namespace checker::mailer
