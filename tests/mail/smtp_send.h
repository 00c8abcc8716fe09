#pragma once
// A message sent with libcurl's SMTP, for the fixture's own tests (not the
// mailer's code): what the servers answered.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>

namespace checker::test {

struct SmtpOptions {
  std::string url;              // smtp://localhost:PORT or smtps://localhost:PORT
  std::string caFile;           // empty: the system's CAs
  std::string username;         // empty: no AUTH
  std::string password;
  std::string from;
  std::string to;
  bool requireTls = true;       // CURLUSESSL_ALL (STARTTLS on smtp://)
};

struct SmtpResult {
  CURLcode code = CURLE_OK;
  long response = 0;            // the last SMTP reply code
  std::string error;
};

inline std::string smtpMessage(const std::string& from, const std::string& to, const std::string& subject,
                               const std::string& body) {
  return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body + "\r\n";
}

inline SmtpResult smtpSend(const SmtpOptions& o, const std::string& message) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  struct Source {
    const std::string* data;
    size_t offset;
  } source{&message, 0};
  auto read = +[](char* buffer, size_t size, size_t count, void* userp) -> size_t {
    auto* s = static_cast<Source*>(userp);
    size_t n = std::min(size * count, s->data->size() - s->offset);
    std::memcpy(buffer, s->data->data() + s->offset, n);
    s->offset += n;
    return n;
  };
  SmtpResult result;
  CURL* c = curl_easy_init();
  if (c == nullptr) {
    result.code = CURLE_FAILED_INIT;
    return result;
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + o.to + ">").c_str());
  curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(c, CURLOPT_USE_SSL, o.requireTls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_NONE));
  if (!o.caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.caFile.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, o.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + o.from + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read);
  curl_easy_setopt(c, CURLOPT_READDATA, &source);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  result.code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.response);
  result.error = error[0] ? error : curl_easy_strerror(result.code);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(c);
  return result;
}

}  // namespace checker::test
