#pragma once
// The status page's optional password (`[peerd] page_password`): who may
// see the page, the job pages and the JSON API once `status_page` lets the
// client ask at all. Without a password it lets everyone through. With one,
// in this order:
//   403  a client not on loopback over plain HTTP, unless
//        page_password_over_plain_http: the password would cross the
//        network in clear (a TLS proxy on this host connects from loopback)
//   401  no Authorization header, two of them, or one that is neither
//        Basic nor Bearer (peerd/authorization.h); with the challenge a
//        browser answers by asking for the password
//   429  this client guessed wrong too often, or too many checks ran
//        lately (peerd/password_attempts.h); Retry-After says how long
//   401  the wrong password (the failure is counted and logged)
//   pass the right one: remembered (as SHA-256) so later requests cost a
//        hash, not a PBKDF2; compared in constant time either way
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/password_hash.h"
#include "peerd/http_response.h"
#include "peerd/password_attempts.h"
#include "peerd/request_parser.h"

namespace checker::peerd {

class PageGuard {
 public:
  // REALM names this instance in the browser's password prompt.
  PageGuard(std::optional<PasswordHash> password, bool overPlainHttp, const std::string& realm,
            AttemptLimits limits = {});

  // nullopt: REQUEST may be answered; else the answer that refuses it.
  std::optional<HttpResponse> refusal(const HttpRequest& request, int64_t nowMonoMs);

 private:
  HttpResponse challenge(const std::string& why) const;
  bool knownGood(const std::string& secret) const;

  std::optional<PasswordHash> password_;
  bool overPlainHttp_;
  std::string challenge_;  // the WWW-Authenticate value
  std::optional<std::array<unsigned char, 32>> knownGood_;
  PasswordAttempts attempts_;
};

}  // namespace checker::peerd
