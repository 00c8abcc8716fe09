#include "peering/status_document.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "peering/signed_fields.h"
#include "peering/signed_json.h"

namespace checker::peerd {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr std::string_view kKeySalt = "checker peer secret v2";
constexpr std::string_view kKeyLabel = "checker status answer v2\n";
constexpr std::string_view kSignedLabel = "checker status v2\n";

}  // namespace

Result<std::string> peerKeyId(std::string_view secret) {
  std::string input = "checker peer key v1\n";
  input += secret;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) != 1 || size < 8) {
    return Error{"peer key id: SHA-256 failed (OpenSSL)"};
  }
  return hexOf(digest, 8);
}

Result<std::string> directionKey(std::string_view secret, std::string_view responder, std::string_view requester) {
  // Fetched once: a lookup in OpenSSL's provider store per answer is waste.
  static EVP_KDF* const hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (secret.empty()) return Error{"direction key: no secret"};
  if (hkdf == nullptr) return Error{"direction key: OpenSSL has no HKDF"};
  std::string info(kKeyLabel);
  appendSignedField(info, responder);
  appendSignedField(info, requester);
  std::string salt(kKeySalt), key(secret), digest = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key.data(), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  EVP_KDF_CTX* context = EVP_KDF_CTX_new(hkdf);
  std::string out(kKeyBytes, '\0');
  bool ok = context != nullptr &&
            EVP_KDF_derive(context, reinterpret_cast<unsigned char*>(out.data()), out.size(), params) == 1;
  EVP_KDF_CTX_free(context);
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) return Error{"direction key: HKDF failed (OpenSSL)"};
  return out;
}

Result<std::string> signatureOf(std::string_view secret, const StatusDocument& document) {
  Result<std::string> key = directionKey(secret, document.responder, document.requester);
  if (!key) return key;
  Result<std::string> signature = signatureWithKey(*key, document);
  OPENSSL_cleanse(key->data(), key->size());
  return signature;
}

Result<std::string> signatureWithKey(std::string_view key, const StatusDocument& document) {
  std::string signedBytes(kSignedLabel);
  appendSignedField(signedBytes, document.responder);
  appendSignedField(signedBytes, document.requester);
  appendSignedField(signedBytes, document.status);
  appendSignedField(signedBytes, std::to_string(document.unixTime));
  appendSignedField(signedBytes, document.nonce);
  return hmacHex(key, signedBytes);
}

Result<std::string> signedStatusJson(std::string_view secret, StatusDocument document) {
  Result<std::string> key = directionKey(secret, document.responder, document.requester);
  if (!key) return key;
  Result<std::string> json = signedStatusJsonWithKey(*key, std::move(document));
  OPENSSL_cleanse(key->data(), key->size());
  return json;
}

Result<std::string> signedStatusJsonWithKey(std::string_view key, StatusDocument document) {
  Result<std::string> signature = signatureWithKey(key, document);
  if (!signature) return signature;
  document.signature = std::move(*signature);
  nlohmann::ordered_json json{{"responder", document.responder}, {"requester", document.requester},
                              {"status", document.status},       {"time", document.unixTime},
                              {"nonce", document.nonce},         {"signature", document.signature}};
  // Identities are checked UTF-8 (status_request.h); should one not be, the
  // U+FFFD written instead fails verification rather than the JSON.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<StatusDocument> parseStatusJson(std::string_view text) {
  Result<nlohmann::json> json = parseSignedObject(text);
  if (!json) return Error{json.error()};
  StatusDocument document;
  for (auto [name, out] : {std::pair{"responder", &document.responder}, std::pair{"requester", &document.requester},
                           std::pair{"status", &document.status}, std::pair{"nonce", &document.nonce},
                           std::pair{"signature", &document.signature}}) {
    Result<std::string> member = stringMember(*json, name);
    if (!member) return Error{member.error()};
    *out = std::move(*member);
  }
  Result<int64_t> time = integerMember(*json, "time");
  if (!time) return Error{time.error()};
  document.unixTime = *time;
  return document;
}

Result<Verified> verifyStatusAnswer(std::string_view body, std::string_view secret, const AnswerExpectation& expected,
                                    int64_t nowUnixSeconds, int64_t windowSeconds) {
  Result<StatusDocument> document = parseStatusJson(body);
  if (!document) return Error{"not a status document (" + document.error() + ")"};
  if (Result<> identities = identitiesMatch(document->responder, document->requester, expected.self, expected.peer);
      !identities) {
    return Error{identities.error()};
  }
  // Then the signature: a tampered field reads as what it is.
  Result<std::string> wanted = signatureOf(secret, *document);
  if (!wanted || !sameBytes(*wanted, document->signature)) {
    return Error{"signature does not match (a different secret, or the answer was altered)"};
  }
  if (document->nonce != expected.nonce) {
    return Error{"the answer is for another request (nonce differs: replayed?)"};
  }
  if (Result<> time = timeWithin(document->unixTime, nowUnixSeconds, windowSeconds); !time) return Error{time.error()};
  if (document->status != "True" && document->status != "MailProblem" && document->status != "JobProblem") {
    return Error{"signed status " + shownText(document->status) + " is not True, MailProblem or JobProblem"};
  }
  return Verified{document->status, document->responder};
}

}  // namespace checker::peerd
