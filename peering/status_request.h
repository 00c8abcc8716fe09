#pragma once
// The question of the signed status protocol, both sides of it: the query
// string of `GET /v2/status?nonce=HEX&key=KEYID&from=IDENTITY`.
//
//   nonce  16 to 128 hex digits, fresh for every question
//   key    the id of the secret the asker shares with the peer
//          (peerKeyId, peering/status_document.h)
//   from   the asker's identity (its [general] servername), percent-encoded;
//          the answer is signed for this requester only
//
// Parameters are separated by '&'; unknown ones are ignored (room for later
// versions), a repeated one is refused (two readers must never disagree
// about which value counts). Pure text, no I/O: fuzzed whole
// (tests/fuzz/status_request_fuzz.cpp).
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker::peerd {

inline constexpr size_t kNonceHexMin = 16, kNonceHexMax = 128;
// An identity is a servername: at most this many bytes.
inline constexpr size_t kIdentityMaxBytes = 255;

// True when TEXT is hex of a length a nonce may have.
bool validNonce(std::string_view text);

// True when TEXT may be an instance's identity: 1 to 255 bytes of valid
// UTF-8 without control characters. Identities are compared byte for byte.
bool validIdentity(std::string_view text);

// True when TEXT is 1 to MAX_BYTES bytes of valid UTF-8 without control
// characters (C0, DEL, C1).
bool validText(std::string_view text, size_t maxBytes);

struct StatusRequest {
  std::string nonce;
  std::string keyId;
  std::string requester;
};

// "nonce=N&key=K&from=R", each percent-encoded (common/percent_encoding.h:
// %XX for all but A-Z a-z 0-9 - . _ ~; either case of hex is read).
std::string statusRequestQuery(const StatusRequest& request);

// Reads QUERY (the part after '?'), or an Error saying what is wrong (a
// missing or invalid parameter, a bad %-escape, a repeat).
Result<StatusRequest> parseStatusRequest(std::string_view query);
// Whether REQUEST's nonce, key and asker are valid; if not, why.
Result<> checkStatusRequest(const StatusRequest& request);

// One parameter a question reads: NAME, whether it came, its decoded value.
struct QueryParameter {
  std::string_view name;
  bool* seen;
  std::string* out;
};
// Reads WANTED from QUERY by the rules above (percent-decoded, unknown
// names ignored, a repeat refused); every signed question is read by it
// (peering/confirm_request.h too).
Result<> readQueryParameters(std::string_view query, std::initializer_list<QueryParameter> wanted);

}  // namespace checker::peerd
