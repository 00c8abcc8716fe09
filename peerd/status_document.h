#pragma once
// The authenticated status answer (`GET /v1/status?nonce=HEX&key=KEYID`),
// both sides of it. The asker sends a fresh random nonce and the id of the
// secret it shares with the peer; the peer answers a small JSON document
//
//   {"server":"web1","status":"True","time":1764040000,"nonce":"…","signature":"…"}
//
// where signature = HMAC-SHA256(secret, the four fields, each length-prefixed
// so that no two different tuples sign the same bytes). The asker accepts it
// only if the signature matches, the nonce is the one it just sent (an old
// answer replayed does not carry it) and the time is within a window of its
// own clock. Anything else is "answer could not be verified".
//
// The key id lets the peer pick the secret without names having to match on
// both sides: the first 8 bytes of SHA-256 over the secret (with a context
// string), which says nothing about a secret of any strength worth using.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace checker::peerd {

inline constexpr std::string_view kStatusPath = "/v1/status";
inline constexpr int64_t kAnswerTimeWindowSeconds = 60;
inline constexpr size_t kNonceHexMin = 16, kNonceHexMax = 128;

// 16 lowercase hex digits naming SECRET.
std::string peerKeyId(std::string_view secret);

// True when TEXT is hex of a length a nonce may have.
bool validNonce(std::string_view text);

struct StatusDocument {
  std::string server;
  std::string status;  // True, MailProblem or JobProblem
  int64_t unixTime = 0;
  std::string nonce;
  std::string signature;  // lowercase hex
};

// HMAC-SHA256 over the document's fields (not its signature), hex.
std::string signatureOf(std::string_view secret, const StatusDocument& document);

// The JSON text of DOCUMENT, signed with SECRET.
std::string signedStatusJson(std::string_view secret, StatusDocument document);

// Parses the JSON text (a flat object; unknown members are ignored, a
// repeated member is an error). nullopt with *error saying what is wrong.
std::optional<StatusDocument> parseStatusJson(std::string_view text, std::string* error);

struct Verified {
  bool ok = false;
  std::string status;  // when ok: True, MailProblem or JobProblem
  std::string server;  // when ok: the name the peer signed
  std::string error;   // when not: why, for the admin ("signature does not match …")
};

// Checks BODY against what the asker sent and its clock.
Verified verifyStatusAnswer(std::string_view body, std::string_view secret, std::string_view sentNonce,
                            int64_t nowUnixSeconds, int64_t windowSeconds = kAnswerTimeWindowSeconds);

}  // namespace checker::peerd
