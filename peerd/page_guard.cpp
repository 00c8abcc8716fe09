#include "peerd/page_guard.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/log.h"
#include "peerd/authorization.h"
#include "peerd/routes.h"

namespace checker::peerd {
namespace {

std::array<unsigned char, 32> sha256(const std::string& text) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

// REALM as a quoted-string's content: printable ASCII without quotes or backslashes.
std::string quotable(const std::string& realm) {
  std::string out;
  for (char c : realm) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out += c;
  }
  return out;
}

HttpResponse plainText(int status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body) + "\n"};
}

std::string seconds(int64_t ms) { return std::to_string((ms + 999) / 1000); }

}  // namespace

PageGuard::PageGuard(std::optional<PasswordHash> password, bool overPlainHttp, const std::string& realm,
                     AttemptLimits limits)
    : password_(std::move(password)),
      overPlainHttp_(overPlainHttp),
      challenge_("Basic realm=\"" + quotable(realm) + "\", charset=\"UTF-8\""),
      attempts_(limits) {}

HttpResponse PageGuard::challenge(const std::string& why) const {
  HttpResponse response = plainText(401, why);
  response.headers.emplace_back("WWW-Authenticate", challenge_);
  return response;
}

bool PageGuard::knownGood(const std::string& secret) const {
  if (!knownGood_) return false;
  std::array<unsigned char, 32> digest = sha256(secret);
  return CRYPTO_memcmp(digest.data(), knownGood_->data(), digest.size()) == 0;
}

std::optional<HttpResponse> PageGuard::refusal(const HttpRequest& request, int64_t nowMonoMs) {
  if (!password_) return std::nullopt;
  const std::string& client = request.clientAddress;
  if (!overPlainHttp_ && !isLoopbackAddress(client)) {
    return plainText(403, "This page asks for a password, which would cross the network in clear: open it through "
                          "a TLS proxy on this host, or set [peerd] page_password_over_plain_http = yes.");
  }
  if (request.authorization.empty()) return challenge("This page asks for checker's page password.");
  if (request.authorizationRepeated) return challenge("One Authorization header, not several.");
  Result<std::string> secret = presentedSecret(request.authorization);
  if (!secret) return challenge(secret.error());
  // Before the remembered password: a client refused for guessing learns
  // nothing, not even when it guesses right.
  if (int64_t wait = attempts_.clientWaitMs(client, nowMonoMs); wait > 0) {
    HttpResponse response = plainText(429, "Too many wrong passwords from this address: try again in " + seconds(wait) + " s.");
    response.headers.emplace_back("Retry-After", seconds(wait));
    return response;
  }
  if (knownGood(*secret)) return std::nullopt;
  if (int64_t wait = attempts_.checkWaitMs(nowMonoMs); wait > 0) {
    HttpResponse response = plainText(429, "Too many password checks lately: try again in " + seconds(wait) + " s.");
    response.headers.emplace_back("Retry-After", seconds(wait));
    return response;
  }
  attempts_.checked(nowMonoMs);
  if (passwordMatches(*password_, *secret)) {
    knownGood_ = sha256(*secret);
    return std::nullopt;
  }
  int failures = attempts_.failed(client, nowMonoMs);
  CHECKER_LOG_WARN("status page: wrong password from %s (%d of %d allowed in %lld s)", client.c_str(), failures,
                   attempts_.limits().perClient, static_cast<long long>(attempts_.limits().windowMs / 1000));
  return challenge("Wrong password.");
}

}  // namespace checker::peerd
