#pragma once
// URL percent-encoding (RFC 3986 section 2.1), the one copy: the peer
// question's parameters (peering/status_request.h), job ids in peerd's
// paths (/job/ID, /api/v1/jobs/ID) and the mailer's IMAP mailbox in its
// URL. Pure text, no dependencies, so the fuzz build links it alone.
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker {

// TEXT with every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) as
// %XX, uppercase hex as RFC 3986 advises. Safe as a path segment and as a
// query value.
std::string percentEncode(std::string_view text);

// TEXT with each %XX decoded (either case of hex); every other byte as it
// is, '+' included (a space is always written %20). An Error "bad
// %-escape" when a '%' is not followed by two hex digits. %00 decodes to a
// NUL byte: callers that cannot hold one check for it.
Result<std::string> percentDecode(std::string_view text);

// The value of one hex digit, -1 for any other byte.
int hexDigitValue(char c);

}  // namespace checker
