#include "peering/peer_client.h"

#include <curl/curl.h>

#include <memory>

#include "common/clock.h"
#include "common/random_token.h"
#include "peering/status_document.h"

namespace checker::peerd {
namespace {

// An unexpected body is quoted in the alert: short, one line, printable.
std::string quoted(const std::string& body) {
  std::string out;
  for (unsigned char c : body.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return "'" + out + (body.size() > 60 ? "...'" : "'");
}

PeerAnswer answer(ipc::PeerStatus status, std::string message, long httpStatus = 0) {
  PeerAnswer a;
  a.status = status;
  a.message = std::move(message);
  a.httpStatus = httpStatus;
  return a;
}

PeerAnswer fromStatusWord(const std::string& word, long httpStatus, const char* how) {
  if (word == "True") return answer(ipc::PeerStatus::HEALTHY, std::string("True") + how, httpStatus);
  if (word == "MailProblem") {
    return answer(ipc::PeerStatus::MAIL_PROBLEM,
                  std::string("MailProblem") + how + ": the peer cannot send mail (its self-check or outbox is failing)",
                  httpStatus);
  }
  return answer(ipc::PeerStatus::JOB_PROBLEM,
                std::string("JobProblem") + how + ": the peer's scheduler has stopped running jobs", httpStatus);
}

struct Transfer {
  PeerTarget target;
  std::string nonce;
  std::string body;
  bool tooLong = false;
  uint32_t timeoutMs = 0;
  char error[CURL_ERROR_SIZE] = {};
  PeerClient::Done done;
};

size_t collectBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxAnswerBytes) {
    transfer->tooLong = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  transfer->body.append(data, bytes);
  return bytes;
}

}  // namespace

PeerAnswer classifyPlainAnswer(long httpStatus, const std::string& body) {
  if (httpStatus != 200) return answer(ipc::PeerStatus::BAD_STATUS, "HTTP status " + std::to_string(httpStatus), httpStatus);
  if (body == "True" || body == "MailProblem" || body == "JobProblem") return fromStatusWord(body, httpStatus, "");
  return answer(ipc::PeerStatus::UNEXPECTED_BODY,
                "unexpected answer " + quoted(body) + " (expected True, MailProblem or JobProblem)", httpStatus);
}

PeerAnswer classifySignedAnswer(long httpStatus, const std::string& body, const std::string& secret,
                                const AnswerExpectation& expected, int64_t nowUnixSeconds) {
  if (httpStatus == 403) {
    return answer(ipc::PeerStatus::UNVERIFIED,
                  "answer could not be verified: the peer holds no secret with our key id (HTTP 403)", httpStatus);
  }
  if (httpStatus != 200) return answer(ipc::PeerStatus::BAD_STATUS, "HTTP status " + std::to_string(httpStatus), httpStatus);
  if (body == "True" || body == "MailProblem" || body == "JobProblem") {
    return answer(ipc::PeerStatus::UNVERIFIED,
                  "answer could not be verified: the peer answered the plain word " + quoted(body) + " to " +
                      std::string(kStatusPath) + " (an older checker, or the original? upgrade it, or drop the "
                      "secret to use the plain answer)",
                  httpStatus);
  }
  Result<Verified> verified = verifyStatusAnswer(body, secret, expected, nowUnixSeconds);
  if (!verified) {
    return answer(ipc::PeerStatus::UNVERIFIED, "answer could not be verified: " + verified.error(), httpStatus);
  }
  PeerAnswer a = fromStatusWord(verified->status, httpStatus, " (signed)");
  a.authenticated = true;
  return a;
}

PeerAnswer classifyTransferError(int curlCode, const std::string& curlError, uint32_t timeoutMs) {
  std::string why;
  switch (curlCode) {
    case CURLE_COULDNT_CONNECT: why = "connection refused or unreachable"; break;
    case CURLE_OPERATION_TIMEDOUT: why = "no answer within " + std::to_string(timeoutMs) + " ms"; break;
    case CURLE_COULDNT_RESOLVE_HOST: why = "host name does not resolve"; break;
    case CURLE_GOT_NOTHING: why = "connection closed without an answer"; break;
    default:
      why = curlError.empty() ? curl_easy_strerror(static_cast<CURLcode>(curlCode)) : curlError;
  }
  return answer(ipc::PeerStatus::NO_ANSWER, "not responding: " + why);
}

Result<std::string> PeerClient::requestUrl(const PeerTarget& target, const std::string& nonce) {
  if (target.secret.empty()) return target.url;
  const Error unusable{"cannot use the URL " + target.url};
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, target.url.c_str(), 0) != CURLUE_OK) return unusable;
  if (!validIdentity(target.asker)) {
    return Error{"our servername is not an identity a signed answer can name (1 to 255 bytes of UTF-8 "
                 "without control characters)"};
  }
  Result<std::string> keyId = peerKeyId(target.secret);
  if (!keyId) return Error{keyId.error()};
  std::string query = statusRequestQuery(StatusRequest{nonce, *keyId, target.asker});
  if (curl_url_set(url.get(), CURLUPART_PATH, std::string(kStatusPath).c_str(), 0) != CURLUE_OK ||
      curl_url_set(url.get(), CURLUPART_QUERY, query.c_str(), 0) != CURLUE_OK ||
      curl_url_set(url.get(), CURLUPART_FRAGMENT, nullptr, 0) != CURLUE_OK) {
    return unusable;
  }
  char* text = nullptr;
  if (curl_url_get(url.get(), CURLUPART_URL, &text, 0) != CURLUE_OK) return unusable;
  std::string out = text;
  curl_free(text);
  return out;
}

void PeerClient::query(const PeerTarget& target, uint32_t timeoutMs, Done done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->target = target;
  transfer->timeoutMs = timeoutMs;
  transfer->done = std::move(done);
  if (!target.secret.empty()) transfer->nonce = randomHex(16);
  Result<std::string> url = requestUrl(target, transfer->nonce);
  if (!url) {
    // An asker without an identity cannot verify any answer; any other
    // failure is the peer's URL, which cannot be asked.
    bool unverifiable = !target.secret.empty() && !validIdentity(target.asker);
    return transfer->done(unverifiable ? answer(ipc::PeerStatus::UNVERIFIED, "answer could not be verified: " + url.error())
                                       : answer(ipc::PeerStatus::NO_ANSWER, "not responding: " + url.error()));
  }
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url->c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeoutMs));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collectBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "checker-peerd/" CHECKER_VERSION);
  // A fresh connection each time: a peer's answer proves it accepts them.
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  Transfer* owned = transfer.release();
  curl_.add(easy, [owned](CURL* handle, CURLcode result) {
    std::unique_ptr<Transfer> finished(owned);
    long httpStatus = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &httpStatus);
    curl_easy_cleanup(handle);
    PeerAnswer a;
    if (finished->tooLong) {
      a = answer(ipc::PeerStatus::UNEXPECTED_BODY,
                 "unexpected answer: longer than " + std::to_string(kMaxAnswerBytes) + " bytes", httpStatus);
    } else if (result != CURLE_OK) {
      a = classifyTransferError(result, finished->error, finished->timeoutMs);
    } else if (finished->target.secret.empty()) {
      a = classifyPlainAnswer(httpStatus, finished->body);
    } else {
      const PeerTarget& t = finished->target;
      a = classifySignedAnswer(httpStatus, finished->body, t.secret, AnswerExpectation{t.asker, t.name, finished->nonce},
                               wallClockNowMs() / 1000);
    }
    finished->done(std::move(a));
  });
}

}  // namespace checker::peerd
