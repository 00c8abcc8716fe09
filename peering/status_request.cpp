#include "peering/status_request.h"

#include <cstdint>
#include <utility>

#include "common/percent_encoding.h"

namespace checker::peerd {
namespace {

bool isHex(std::string_view text) {
  for (char c : text) {
    if (hexDigitValue(c) < 0) return false;
  }
  return true;
}

// The length of the UTF-8 sequence starting at TEXT[AT], 0 if invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t utf8Sequence(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  if (length == 0 || lead > 0xf4 || at + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
  }
  unsigned char second = byte(at + 1);
  if (lead == 0xe0 && second < 0xa0) return 0;  // overlong
  if (lead == 0xed && second >= 0xa0) return 0;  // surrogate
  if (lead == 0xf0 && second < 0x90) return 0;  // overlong
  if (lead == 0xf4 && second >= 0x90) return 0;  // past U+10FFFF
  return length;
}

}  // namespace

bool validNonce(std::string_view text) {
  return text.size() >= kNonceHexMin && text.size() <= kNonceHexMax && isHex(text);
}

bool validIdentity(std::string_view text) { return validText(text, kIdentityMaxBytes); }

bool validText(std::string_view text, size_t maxBytes) {
  if (text.empty() || text.size() > maxBytes) return false;
  for (size_t at = 0; at < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[at]);
    if (c < 0x20 || c == 0x7f) return false;
    size_t length = utf8Sequence(text, at);
    if (length == 0) return false;
    // C1 controls (U+0080..U+009F) are control characters too.
    if (length == 2 && c == 0xc2 && static_cast<unsigned char>(text[at + 1]) < 0xa0) return false;
    at += length;
  }
  return true;
}

std::string statusRequestQuery(const StatusRequest& request) {
  return "nonce=" + percentEncode(request.nonce) + "&key=" + percentEncode(request.keyId) +
         "&from=" + percentEncode(request.requester);
}

Result<> readQueryParameters(std::string_view query, std::initializer_list<QueryParameter> wanted) {
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    for (const QueryParameter& slot : wanted) {
      if (name != slot.name) continue;
      if (*slot.seen) return Error{"'" + std::string(slot.name) + "' given twice"};
      *slot.seen = true;
      Result<std::string> decoded = percentDecode(value);
      if (!decoded) return Error{"'" + std::string(slot.name) + "' has a " + decoded.error()};
      *slot.out = std::move(*decoded);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

Result<StatusRequest> parseStatusRequest(std::string_view query) {
  StatusRequest request;
  bool seenNonce = false, seenKey = false, seenFrom = false;
  Result<> read = readQueryParameters(query, {{"nonce", &seenNonce, &request.nonce},
                                              {"key", &seenKey, &request.keyId},
                                              {"from", &seenFrom, &request.requester}});
  if (!read) return Error{read.error()};
  if (Result<> valid = checkStatusRequest(request); !valid) return Error{valid.error()};
  return request;
}

Result<> checkStatusRequest(const StatusRequest& request) {
  if (!validNonce(request.nonce)) return Error{"nonce must be 16 to 128 hex digits"};
  if (request.keyId.empty()) return Error{"no key id ('key')"};
  if (!validIdentity(request.requester)) {
    return Error{"'from' must name the asker: 1 to 255 bytes of UTF-8 without control characters"};
  }
  return {};
}

}  // namespace checker::peerd
