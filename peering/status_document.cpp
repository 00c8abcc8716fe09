#include "peering/status_document.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

namespace checker::peerd {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr std::string_view kKeySalt = "checker peer secret v2";
constexpr std::string_view kKeyLabel = "checker status answer v2\n";
constexpr std::string_view kSignedLabel = "checker status v2\n";

std::string hex(const unsigned char* bytes, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

// "LEN:VALUE\n": no two different field lists give the same bytes.
void appendField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

// Quoted for a message to an admin: short, printable ASCII.
std::string shown(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out + (text.size() > 60 ? "...'" : "'");
}

bool sameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The members of the top-level object that appear more than once.
struct RepeatedMembers {
  std::set<std::string> seen;
  std::string repeated;
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second && repeated.empty()) repeated = key;
    }
    return true;
  }
};

Result<std::string> stringMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return Error{std::string("no string member \"") + name + "\""};
  return it->get<std::string>();
}

// Whether the identities in DOCUMENT are the ones expected; if not, why.
// Checked before the signature so that the admin reads what happened.
Result<> identitiesMatch(const StatusDocument& document, const AnswerExpectation& expected) {
  if (document.responder == expected.self) {
    return Error{"the answer is signed as this instance itself (" + shown(expected.self) +
                 "): our own answer relayed or reflected back (or a peer with our servername), not the peer's"};
  }
  if (document.requester != expected.self) {
    return Error{"the answer was asked for by " + shown(document.requester) + ", not by this instance (" +
                 shown(expected.self) + "): relayed from another asker"};
  }
  if (document.responder != expected.peer) {
    return Error{"the answer names " + shown(document.responder) + " as who answered, not " + shown(expected.peer) +
                 " (with a secret, a peer's [peers] name must be its servername)"};
  }
  return {};
}

}  // namespace

Result<std::string> peerKeyId(std::string_view secret) {
  std::string input = "checker peer key v1\n";
  input += secret;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) != 1 || size < 8) {
    return Error{"peer key id: SHA-256 failed (OpenSSL)"};
  }
  return hex(digest, 8);
}

Result<std::string> directionKey(std::string_view secret, std::string_view responder, std::string_view requester) {
  // Fetched once: a lookup in OpenSSL's provider store per answer is waste.
  static EVP_KDF* const hkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (secret.empty()) return Error{"direction key: no secret"};
  if (hkdf == nullptr) return Error{"direction key: OpenSSL has no HKDF"};
  std::string info(kKeyLabel);
  appendField(info, responder);
  appendField(info, requester);
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
  if (key.empty()) return Error{"signature: no key"};
  std::string signedBytes(kSignedLabel);
  appendField(signedBytes, document.responder);
  appendField(signedBytes, document.requester);
  appendField(signedBytes, document.status);
  appendField(signedBytes, std::to_string(document.unixTime));
  appendField(signedBytes, document.nonce);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  bool ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(signedBytes.data()), signedBytes.size(), mac, &size) != nullptr;
  if (!ok) return Error{"signature: HMAC-SHA256 failed (OpenSSL)"};
  return hex(mac, size);
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
  RepeatedMembers repeats;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end(), std::ref(repeats));
  } catch (const nlohmann::json::exception& e) {
    return Error{e.what()};  // nlohmann reports only by exception: turned into an Error here
  }
  if (!json.is_object()) return Error{"not a JSON object"};
  if (!repeats.repeated.empty()) return Error{"\"" + repeats.repeated + "\" appears twice"};
  StatusDocument document;
  for (auto [name, out] : {std::pair{"responder", &document.responder}, std::pair{"requester", &document.requester},
                           std::pair{"status", &document.status}, std::pair{"nonce", &document.nonce},
                           std::pair{"signature", &document.signature}}) {
    Result<std::string> member = stringMember(json, name);
    if (!member) return Error{member.error()};
    *out = std::move(*member);
  }
  auto time = json.find("time");
  if (time == json.end() || !time->is_number_integer() ||
      (time->is_number_unsigned() && time->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    return Error{"no integer member \"time\""};
  }
  document.unixTime = time->get<int64_t>();
  return document;
}

Result<Verified> verifyStatusAnswer(std::string_view body, std::string_view secret, const AnswerExpectation& expected,
                                    int64_t nowUnixSeconds, int64_t windowSeconds) {
  Result<StatusDocument> document = parseStatusJson(body);
  if (!document) return Error{"not a status document (" + document.error() + ")"};
  if (Result<> identities = identitiesMatch(*document, expected); !identities) return Error{identities.error()};
  // Then the signature: a tampered field reads as what it is.
  Result<std::string> wanted = signatureOf(secret, *document);
  if (!wanted || !sameBytes(*wanted, document->signature)) {
    return Error{"signature does not match (a different secret, or the answer was altered)"};
  }
  if (document->nonce != expected.nonce) {
    return Error{"the answer is for another request (nonce differs: replayed?)"};
  }
  int64_t skew = 0;
  if (__builtin_sub_overflow(document->unixTime, nowUnixSeconds, &skew) || skew == INT64_MIN) {
    return Error{"the answer's time " + std::to_string(document->unixTime) + " is nowhere near ours"};
  }
  if (skew > windowSeconds || -skew > windowSeconds) {
    return Error{"the answer's time is " + std::to_string(skew < 0 ? -skew : skew) + " s " +
                 (skew < 0 ? "behind" : "ahead of") + " ours (at most " + std::to_string(windowSeconds) +
                 " s allowed)"};
  }
  if (document->status != "True" && document->status != "MailProblem" && document->status != "JobProblem") {
    return Error{"signed status " + shown(document->status) + " is not True, MailProblem or JobProblem"};
  }
  return Verified{document->status, document->responder};
}

}  // namespace checker::peerd
