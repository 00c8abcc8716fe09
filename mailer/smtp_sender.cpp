#include "mailer/smtp_sender.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace checker::mailer {
namespace {

// What one transfer owns until curl is done with it.
struct Transfer {
  std::string message;
  size_t sent = 0;
  curl_slist* recipients = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  SmtpSender::Done done;
  ~Transfer() { curl_slist_free_all(recipients); }
};

size_t readMessage(char* buffer, size_t size, size_t count, void* data) {
  auto* transfer = static_cast<Transfer*>(data);
  size_t room = size * count;
  size_t left = transfer->message.size() - transfer->sent;
  size_t now = std::min(room, left);
  std::memcpy(buffer, transfer->message.data() + transfer->sent, now);
  transfer->sent += now;
  return now;
}

}  // namespace

SmtpSettings smtpSettingsFrom(const Config& config) {
  SmtpSettings smtp;
  smtp.host = config.email.smtpServer;
  smtp.port = config.email.smtpPort;
  smtp.tls = config.email.smtpTls;
  smtp.user = config.email.user;
  smtp.password = config.email.password;
  smtp.caFile = config.email.caFile;
  if (smtp.user.find('@') != std::string::npos) {
    smtp.from = smtp.user;
  } else if (!smtp.user.empty()) {
    smtp.from = smtp.user + "@" + smtp.host;
  } else {
    smtp.from = "checker@" + (config.general.serverName.empty() ? std::string("localhost") : config.general.serverName);
  }
  return smtp;
}

SmtpOutcome classifySmtp(int curlCode, long replyCode, const std::string& curlError) {
  SmtpOutcome outcome;
  outcome.replyCode = replyCode;
  if (curlCode == CURLE_OK) {
    outcome.accepted = true;
    outcome.serverReply = "accepted (" + std::to_string(replyCode == 0 ? 250 : replyCode) + ")";
    return outcome;
  }
  std::string what = curlError.empty() ? curl_easy_strerror(static_cast<CURLcode>(curlCode)) : curlError;
  outcome.serverReply = what + (replyCode != 0 ? " (server replied " + std::to_string(replyCode) + ")" : "");
  outcome.step = curlStepOf(curlCode, "send");
  // A 5xx to the envelope or the message is final; a refused login is a
  // setting to fix (the message itself is fine), so it is retried.
  outcome.permanent = replyCode >= 500 && replyCode < 600 && curlCode != CURLE_LOGIN_DENIED;
  return outcome;
}

void SmtpSender::send(const std::vector<std::string>& recipients, std::string message, Done done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->message = std::move(message);
  transfer->done = std::move(done);
  for (const std::string& to : recipients) transfer->recipients = curl_slist_append(transfer->recipients, ("<" + to + ">").c_str());

  CURL* easy = curl_easy_init();
  std::string scheme = settings_.tls == TlsMode::tls ? "smtps://" : "smtp://";
  std::string url = scheme + settings_.host + ":" + std::to_string(settings_.port);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // starttls: refuse to go on in clear text (the original's port 587 behaviour).
  if (settings_.tls == TlsMode::starttls) curl_easy_setopt(easy, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!settings_.caFile.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, settings_.caFile.c_str());
  if (!settings_.user.empty()) {
    curl_easy_setopt(easy, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  std::string from = "<" + settings_.from + ">";
  curl_easy_setopt(easy, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, transfer->recipients);
  curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy, CURLOPT_READFUNCTION, &readMessage);
  curl_easy_setopt(easy, CURLOPT_READDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(transfer->message.size()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 15'000L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);

  Transfer* owned = transfer.release();
  curl_.add(easy, [owned](CURL* handle, CURLcode result) {
    std::unique_ptr<Transfer> finished(owned);
    long reply = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply);
    SmtpOutcome outcome = classifySmtp(result, reply, finished->error);
    curl_easy_cleanup(handle);
    finished->done(std::move(outcome));
  });
}

}  // namespace checker::mailer
