#pragma once
// The signed status answer (protocol 2), both sides of it. The asker sends
// a fresh nonce, the id of the secret it shares with the peer and its own
// identity (peering/status_request.h); the peer answers
//
//   {"responder":"web1","requester":"web2","status":"True","time":1764040000,
//    "nonce":"…","signature":"…"}
//
// An identity is an instance's [general] servername; on the asker's side
// the peer's identity is the NAME of its [peers] line.
//
// The signature is HMAC-SHA256 under a key for this direction only,
//   key(R→Q) = HKDF-SHA256(secret, salt "checker peer secret v2",
//                          info "checker status answer v2\n" | R | Q)
// over responder, requester, status, time and nonce (each length-prefixed
// so no two different tuples sign the same bytes). The asker accepts it
// only if it names the asker as requester and the expected peer as
// responder, the responder is not the asker itself (its own answer,
// relayed back), the signature verifies under key(peer→asker), the nonce
// is the one just sent and the time is within a window of its clock.
//
// So an answer proves: the holder of the pair's secret, answering as the
// named responder, said this status for this nonce within the window. It
// cannot be taken from one instance and handed to another (the key and
// the fields name both), nor reflected back to the instance that signed it.
//
// The key id lets the peer pick the secret without a lookup by name: the
// first 8 bytes of SHA-256 over the secret (with a context string), which
// says nothing about a secret of any strength worth using.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "peering/status_request.h"

namespace checker::peerd {

// The path of protocol 2, and of protocol 1, which answered without naming
// who asked or who answered: retired (410), never asked.
inline constexpr std::string_view kStatusPath = "/v2/status";
inline constexpr std::string_view kRetiredStatusPath = "/v1/status";
inline constexpr int64_t kAnswerTimeWindowSeconds = 60;

// 16 lowercase hex digits naming SECRET; an Error if OpenSSL fails.
Result<std::string> peerKeyId(std::string_view secret);

// The 32-byte key for answers from RESPONDER to REQUESTER under SECRET; an
// Error for an empty secret or if OpenSSL fails (then nothing signs or
// verifies).
Result<std::string> directionKey(std::string_view secret, std::string_view responder, std::string_view requester);

struct StatusDocument {
  std::string responder;  // who answered
  std::string requester;  // whom the answer is for
  std::string status;     // True, MailProblem or JobProblem
  int64_t unixTime = 0;
  std::string nonce;
  std::string signature;  // lowercase hex
};

// HMAC-SHA256 under directionKey(SECRET, responder, requester) over the
// document's fields (not its signature), hex; an Error if it cannot be made.
Result<std::string> signatureOf(std::string_view secret, const StatusDocument& document);
// The same under KEY, already directionKey(secret, responder, requester).
Result<std::string> signatureWithKey(std::string_view key, const StatusDocument& document);

// The JSON text of DOCUMENT, signed with SECRET; an Error when it cannot be
// signed.
Result<std::string> signedStatusJson(std::string_view secret, StatusDocument document);
// The same under KEY, already directionKey(secret, responder, requester)
// (a responder keeps the keys of the askers it answers: peering/direction_keys.h).
Result<std::string> signedStatusJsonWithKey(std::string_view key, StatusDocument document);

// Parses the JSON text: an object with string members responder,
// requester, status, nonce, signature and an integer member time; unknown
// members are ignored, a repeated member is an error. Or an Error saying
// what is wrong.
Result<StatusDocument> parseStatusJson(std::string_view text);

// What the asker knows when the answer comes.
struct AnswerExpectation {
  std::string_view self;   // the asker's identity: the requester
  std::string_view peer;   // the identity the answer must come from
  std::string_view nonce;  // the nonce just sent
};

// What a verified answer says.
struct Verified {
  std::string status;     // True, MailProblem or JobProblem
  std::string responder;  // the peer's identity, as signed
};

// Checks BODY against what the asker sent and its clock; an Error says why
// it does not count, for the admin ("signature does not match …").
Result<Verified> verifyStatusAnswer(std::string_view body, std::string_view secret, const AnswerExpectation& expected,
                                    int64_t nowUnixSeconds, int64_t windowSeconds = kAnswerTimeWindowSeconds);

}  // namespace checker::peerd
