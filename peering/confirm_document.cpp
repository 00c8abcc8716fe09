#include "peering/confirm_document.h"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "peering/signed_fields.h"
#include "peering/signed_json.h"
#include "peering/status_document.h"

namespace checker::peerd {
namespace {

constexpr std::string_view kSignedLabel = "checker confirm v1\n";

bool validState(std::string_view state) { return state == "ok" || state == "failing" || state == "never_run"; }

}  // namespace

Result<std::string> confirmSignatureWithKey(std::string_view key, const ConfirmDocument& d) {
  std::string bytes(kSignedLabel);
  for (std::string_view field : {std::string_view(d.responder), std::string_view(d.requester), std::string_view(d.job),
                                 std::string_view(d.known ? "1" : "0"), std::string_view(d.state)}) {
    appendSignedField(bytes, field);
  }
  appendSignedField(bytes, std::to_string(d.lastRunUnixMs));
  appendSignedField(bytes, d.outcome);
  appendSignedField(bytes, d.message);
  appendSignedField(bytes, d.ranNow ? "1" : "0");
  appendSignedField(bytes, std::to_string(d.unixTime));
  appendSignedField(bytes, d.nonce);
  return hmacHex(key, bytes);
}

Result<std::string> signedConfirmJsonWithKey(std::string_view key, ConfirmDocument d) {
  Result<std::string> signature = confirmSignatureWithKey(key, d);
  if (!signature) return signature;
  d.signature = std::move(*signature);
  nlohmann::ordered_json json{{"responder", d.responder},
                              {"requester", d.requester},
                              {"job", d.job},
                              {"known", d.known},
                              {"state", d.state},
                              {"lastRunUnixMs", d.lastRunUnixMs},
                              {"outcome", d.outcome},
                              {"message", d.message},
                              {"ranNow", d.ranNow},
                              {"time", d.unixTime},
                              {"nonce", d.nonce},
                              {"signature", d.signature}};
  // Text that is not UTF-8 is written as U+FFFD, which then fails
  // verification rather than the JSON (the answerer cleans its text first).
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::string> signedConfirmJson(std::string_view secret, ConfirmDocument document) {
  Result<std::string> key = directionKey(secret, document.responder, document.requester);
  if (!key) return key;
  Result<std::string> json = signedConfirmJsonWithKey(*key, std::move(document));
  OPENSSL_cleanse(key->data(), key->size());
  return json;
}

Result<ConfirmDocument> parseConfirmJson(std::string_view text) {
  Result<nlohmann::json> json = parseSignedObject(text);
  if (!json) return Error{json.error()};
  ConfirmDocument d;
  for (auto [name, out] : {std::pair{"responder", &d.responder}, std::pair{"requester", &d.requester},
                           std::pair{"job", &d.job}, std::pair{"state", &d.state}, std::pair{"outcome", &d.outcome},
                           std::pair{"message", &d.message}, std::pair{"nonce", &d.nonce},
                           std::pair{"signature", &d.signature}}) {
    Result<std::string> member = stringMember(*json, name);
    if (!member) return Error{member.error()};
    *out = std::move(*member);
  }
  for (auto [name, out] : {std::pair{"known", &d.known}, std::pair{"ranNow", &d.ranNow}}) {
    Result<bool> member = boolMember(*json, name);
    if (!member) return Error{member.error()};
    *out = *member;
  }
  for (auto [name, out] : {std::pair{"lastRunUnixMs", &d.lastRunUnixMs}, std::pair{"time", &d.unixTime}}) {
    Result<int64_t> member = integerMember(*json, name);
    if (!member) return Error{member.error()};
    *out = *member;
  }
  return d;
}

Result<ConfirmDocument> verifyConfirmAnswer(std::string_view body, std::string_view secret,
                                            const ConfirmExpectation& expected, int64_t nowUnixSeconds,
                                            int64_t windowSeconds) {
  Result<ConfirmDocument> d = parseConfirmJson(body);
  if (!d) return Error{"not a confirm document (" + d.error() + ")"};
  if (Result<> who = identitiesMatch(d->responder, d->requester, expected.self, expected.peer); !who) {
    return Error{who.error()};
  }
  Result<std::string> key = directionKey(secret, d->responder, d->requester);
  Result<std::string> wanted = key ? confirmSignatureWithKey(*key, *d) : Result<std::string>(Error{key.error()});
  if (key) OPENSSL_cleanse(key->data(), key->size());
  if (!wanted || !sameBytes(*wanted, d->signature)) {
    return Error{"signature does not match (a different secret, or the answer was altered)"};
  }
  if (d->nonce != expected.nonce) return Error{"the answer is for another request (nonce differs: replayed?)"};
  if (d->job != expected.job) {
    return Error{"the answer is about another job (" + shownText(d->job) + ", asked " + shownText(expected.job) + ")"};
  }
  if (Result<> time = timeWithin(d->unixTime, nowUnixSeconds, windowSeconds); !time) return Error{time.error()};
  if (!validState(d->state)) return Error{"signed state " + shownText(d->state) + " is not ok, failing or never_run"};
  if (!d->known && (d->state != "never_run" || d->lastRunUnixMs != 0 || d->ranNow)) {
    return Error{"the answer says the job is unknown but gives a view of it"};
  }
  if (d->lastRunUnixMs < 0) return Error{"the last run's time is negative"};
  if (d->message.size() > kConfirmMessageMaxBytes) {
    return Error{"the message is longer than " + std::to_string(kConfirmMessageMaxBytes) + " bytes"};
  }
  return d;
}

}  // namespace checker::peerd
