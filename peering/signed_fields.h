#pragma once
// What the signed answers of the peer protocol share (the status answer,
// peering/status_document.h, and the confirm answer,
// peering/confirm_document.h): the length-prefixed field list that is
// signed, the HMAC-SHA256 over it under a direction key, the comparison in
// constant time, and the checks of
// who answered whom and when. One place, so both answers are held to the
// same rules. (The strict JSON reading they share is peering/signed_json.h.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker::peerd {

// SIZE bytes as lowercase hex.
std::string hexOf(const unsigned char* bytes, size_t size);

// "LEN:VALUE\n" appended to OUT: no two different field lists give the same bytes.
void appendSignedField(std::string& out, std::string_view value);

// HMAC-SHA256 under KEY over BYTES, lowercase hex; an Error for an empty
// key or if OpenSSL fails.
Result<std::string> hmacHex(std::string_view key, std::string_view bytes);

// A and B are the same bytes, compared in constant time.
bool sameBytes(std::string_view a, std::string_view b);

// TEXT quoted for a message to an admin: short, printable ASCII.
std::string shownText(std::string_view text);

// The identities a signed answer names, checked against what the asker
// expects (before the signature, so that the admin reads what happened):
// not this instance itself as responder, this instance as requester, the
// expected peer as responder.
Result<> identitiesMatch(std::string_view responder, std::string_view requester, std::string_view self,
                         std::string_view peer);

// The answer's time (unix seconds) within WINDOW of NOW, or why not.
Result<> timeWithin(int64_t answerTime, int64_t nowUnixSeconds, int64_t windowSeconds);

}  // namespace checker::peerd
