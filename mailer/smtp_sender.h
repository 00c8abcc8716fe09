#pragma once
// One message to an SMTP server with libcurl, on the loop (CurlOnUv), and
// what the answer means for the outbox: accepted (the server said 250 to
// the message), or refused for good (a 5xx: retrying cannot help), or not
// now (connection, TLS, a 4xx, a timeout, a login refused: retried with
// backoff; a login refused is a setting to fix, not a bad message).
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "common/curl_on_uv.h"

namespace checker::mailer {

struct SmtpSettings {
  std::string host;
  uint16_t port = 587;
  TlsMode tls = TlsMode::starttls;
  std::string user, password;  // AUTH when user is set
  std::string caFile;          // trust this CA (else the system store); verification is always on
  std::string from;            // the envelope sender
  std::chrono::milliseconds timeout{60'000};
};

// SMTP settings from the config: `from` is [email] user when it is an
// address, else user@smtpserver, else checker@servername.
SmtpSettings smtpSettingsFrom(const Config& config);

struct SmtpOutcome {
  bool accepted = false;
  bool permanent = false;   // when not accepted: a 5xx reply
  long replyCode = 0;       // the server's last reply code, 0 when none came
  std::string step;         // when not accepted: connect, tls, auth or send
  std::string serverReply;  // one line: what the server or libcurl said
};

class SmtpSender {
 public:
  using Done = std::function<void(SmtpOutcome)>;
  SmtpSender(CurlOnUv& curl, SmtpSettings settings) : curl_(curl), settings_(std::move(settings)) {}

  // Sends MESSAGE (RFC 5322 bytes, CRLF) to RECIPIENTS; DONE from the loop.
  void send(const std::vector<std::string>& recipients, std::string message, Done done);
  const SmtpSettings& settings() const { return settings_; }

 private:
  CurlOnUv& curl_;
  SmtpSettings settings_;
};

// What a finished transfer means (pure: the classification the tests pin).
SmtpOutcome classifySmtp(int curlCode, long replyCode, const std::string& curlError);

}  // namespace checker::mailer
