#include "peering/peer_client.h"

#include <curl/curl.h>

#include <memory>

#include "common/clock.h"
#include "common/random_token.h"
#include "common/utf8_text.h"
#include "peering/confirm_request.h"
#include "peering/signed_fields.h"
#include "peering/signed_json.h"
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
  std::string body;
  size_t maxBytes = kMaxAnswerBytes;
  bool tooLong = false;
  char error[CURL_ERROR_SIZE] = {};
  std::function<void(const PeerClient::Fetched&)> done;
};

size_t collectBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->maxBytes) {
    transfer->tooLong = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  transfer->body.append(data, bytes);
  return bytes;
}

PeerView view(const std::string& peer, PeerView::Verdict verdict, std::string message) {
  PeerView v;
  v.peer = peer;
  v.verdict = verdict;
  v.message = std::move(message);
  return v;
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

Result<std::string> PeerClient::signedUrl(const PeerTarget& target, std::string_view path, const std::string& query) {
  const Error unusable{"cannot use the URL " + target.url};
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> url(curl_url(), &curl_url_cleanup);
  if (!url || curl_url_set(url.get(), CURLUPART_URL, target.url.c_str(), 0) != CURLUE_OK) return unusable;
  if (!validIdentity(target.asker)) {
    return Error{"our servername is not an identity a signed answer can name (1 to 255 bytes of UTF-8 "
                 "without control characters)"};
  }
  if (curl_url_set(url.get(), CURLUPART_PATH, std::string(path).c_str(), 0) != CURLUE_OK ||
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

Result<std::string> PeerClient::requestUrl(const PeerTarget& target, const std::string& nonce) {
  if (target.secret.empty()) return target.url;
  Result<std::string> keyId = peerKeyId(target.secret);
  if (!keyId) return Error{keyId.error()};
  return signedUrl(target, kStatusPath, statusRequestQuery(StatusRequest{nonce, *keyId, target.asker}));
}

Result<std::string> PeerClient::confirmUrl(const PeerTarget& target, const std::string& nonce, const ConfirmAsk& ask) {
  if (target.secret.empty()) return Error{"no secret for this peer: confirmation must be authenticated"};
  Result<std::string> keyId = peerKeyId(target.secret);
  if (!keyId) return Error{keyId.error()};
  ConfirmRequest request{StatusRequest{nonce, *keyId, target.asker}, ask.jobId, ask.afterUnixMs, ask.waitMs};
  return signedUrl(target, kConfirmPath, confirmRequestQuery(request));
}

void PeerClient::fetch(const std::string& url, uint32_t timeoutMs, size_t maxBytes,
                       std::function<void(const Fetched&)> done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->maxBytes = maxBytes;
  transfer->done = std::move(done);
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
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
    Fetched fetched;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &fetched.httpStatus);
    curl_easy_cleanup(handle);
    fetched.curlCode = result;
    fetched.curlError = finished->error;
    fetched.tooLong = finished->tooLong;
    fetched.body = std::move(finished->body);
    finished->done(fetched);
  });
}

void PeerClient::query(const PeerTarget& target, uint32_t timeoutMs, Done done) {
  std::string nonce = target.secret.empty() ? "" : randomHex(16);
  Result<std::string> url = requestUrl(target, nonce);
  if (!url) {
    // An asker without an identity cannot verify any answer; any other
    // failure is the peer's URL, which cannot be asked.
    bool unverifiable = !target.secret.empty() && !validIdentity(target.asker);
    return done(unverifiable ? answer(ipc::PeerStatus::UNVERIFIED, "answer could not be verified: " + url.error())
                             : answer(ipc::PeerStatus::NO_ANSWER, "not responding: " + url.error()));
  }
  fetch(*url, timeoutMs, kMaxAnswerBytes, [target, nonce, timeoutMs, done = std::move(done)](const Fetched& f) {
    PeerAnswer a;
    if (f.tooLong) {
      a = answer(ipc::PeerStatus::UNEXPECTED_BODY,
                 "unexpected answer: longer than " + std::to_string(kMaxAnswerBytes) + " bytes", f.httpStatus);
    } else if (f.curlCode != CURLE_OK) {
      a = classifyTransferError(f.curlCode, f.curlError, timeoutMs);
    } else if (target.secret.empty()) {
      a = classifyPlainAnswer(f.httpStatus, f.body);
    } else {
      a = classifySignedAnswer(f.httpStatus, f.body, target.secret, AnswerExpectation{target.asker, target.name, nonce},
                               wallClockNowMs() / 1000);
    }
    done(std::move(a));
  });
}

PeerView classifyConfirmAnswer(const std::string& peer, long httpStatus, const std::string& body,
                               const std::string& secret, const ConfirmExpectation& expected, int64_t nowUnixSeconds) {
  if (httpStatus == 403) {
    return view(peer, PeerView::Verdict::refused, "the peer holds no secret with our key id (HTTP 403)");
  }
  if (httpStatus != 200) {
    std::string why;
    if (Result<nlohmann::json> json = parseSignedObject(body); json) {
      if (Result<std::string> error = stringMember(*json, "error"); error) why = ": " + shownText(*error);
    }
    return view(peer, PeerView::Verdict::unreachable, "HTTP status " + std::to_string(httpStatus) + why);
  }
  Result<ConfirmDocument> verified = verifyConfirmAnswer(body, secret, expected, nowUnixSeconds);
  if (!verified) return view(peer, PeerView::Verdict::unreachable, "answer could not be verified: " + verified.error());
  PeerView v = view(peer, PeerView::Verdict::unknownJob, "");
  if (verified->known) {
    v.verdict = verified->state == "failing" ? PeerView::Verdict::failing
                : verified->state == "ok"    ? PeerView::Verdict::ok
                                             : PeerView::Verdict::neverRun;
    v.lastRunUnixMs = verified->lastRunUnixMs;
    v.ranNow = verified->ranNow;
    v.message = cleanLine(verified->message, kConfirmMessageMaxBytes);
  }
  return v;
}

void PeerClient::confirm(const PeerTarget& target, const ConfirmAsk& ask, uint32_t timeoutMs, ConfirmDone done) {
  std::string nonce = randomHex(16);
  Result<std::string> url = confirmUrl(target, nonce, ask);
  if (!url) return done(view(target.name, PeerView::Verdict::refused, "not asked: " + url.error()));
  std::string peer = target.name;
  fetch(*url, timeoutMs, kMaxConfirmAnswerBytes,
        [target, ask, nonce, timeoutMs, done = std::move(done)](const Fetched& f) {
          if (f.tooLong) {
            return done(view(target.name, PeerView::Verdict::unreachable,
                             "unexpected answer: longer than " + std::to_string(kMaxConfirmAnswerBytes) + " bytes"));
          }
          if (f.curlCode != CURLE_OK) {
            return done(view(target.name, PeerView::Verdict::unreachable,
                             classifyTransferError(f.curlCode, f.curlError, timeoutMs).message));
          }
          done(classifyConfirmAnswer(target.name, f.httpStatus, f.body, target.secret,
                                     ConfirmExpectation{target.asker, target.name, nonce, ask.jobId},
                                     wallClockNowMs() / 1000));
        });
}

}  // namespace checker::peerd
