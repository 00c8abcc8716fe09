#pragma once
// The `webhook` channel's POST body, a documented, versioned JSON object
// (docs/channels.md has every key), and its HMAC-SHA256 signature.
#include <string>
#include <string_view>

#include "channels/notice.h"

namespace checker::channels {

// The body's "version"; raised only when a key changes meaning or goes
// away (receivers may ignore keys they do not know).
inline constexpr int kWebhookPayloadVersion = 1;

// The signature of the body, and the time it was signed as unix seconds in
// decimal. The timestamp is part of the signed text so that a receiver
// that refuses old timestamps (say, more than 5 minutes off its clock)
// cannot be made to accept an old body replayed by someone who recorded
// it: changing the header breaks the signature.
inline constexpr std::string_view kWebhookSignatureHeader = "X-Checker-Signature";
inline constexpr std::string_view kWebhookTimestampHeader = "X-Checker-Timestamp";

// {"version": 1, "instance", "job": {"id", "name", "type"}, "state",
// "outcome", "message", "since" (UTC timestamp or null), "at",
// "failures", "links": {"page": the job's page or null}}, one line.
std::string webhookBody(const NoticeFacts& facts);

// "sha256=" + lowercase hex of HMAC-SHA256(SECRET, TIMESTAMP + "." + BODY),
// the value of kWebhookSignatureHeader; TIMESTAMP is the value sent in
// kWebhookTimestampHeader. HMAC-SHA256 fails only when OpenSSL cannot
// allocate, and then this throws std::bad_alloc as the strings around it
// would.
std::string webhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace checker::channels
