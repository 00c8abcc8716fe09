#pragma once
// Standard base64 (RFC 4648, with padding): the mail's encoded words, the
// page password's stored hash, an Authorization: Basic header. The
// decoding is strict: no whitespace, padding only at the end, a length
// that is a multiple of 4.
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker {

std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);

}  // namespace checker
