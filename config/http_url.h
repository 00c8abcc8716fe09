#pragma once
// An http:// or https:// URL as settings.cfg may name one (a peer, an http
// job's url): RFC 3986's shape, checked strictly enough that what passes
// can be handed to libcurl and means what the operator wrote.
//
//   scheme "://" [ userinfo "@" ] host [ ":" port ] [ path-abempty ] [ "?" query ] [ "#" fragment ]
//   scheme  http | https (any case)
//   host    a name (letters, digits, "-", "_", "." and %-escapes), an IPv4
//           address, or "[" IPv6 "]" as inet_pton(AF_INET6) reads it
//   port    1-65535, decimal; absent: 80 for http, 443 for https
//   the rest  printable ASCII without spaces, quotes, "<", ">", "\",
//             "^", "`", "{", "|", "}"
// Anything else (control bytes, non-ASCII, an empty host, an unclosed
// "[", a port of 0 or 99999) is refused with what is wrong.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_values.h"

namespace checker {

struct HttpUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string target;  // path, query and fragment as written; "/" when empty
};

Result<HttpUrl> parseHttpUrl(std::string_view text);

}  // namespace checker
