#include "config/http_url.h"

#include <arpa/inet.h>
#include <strings.h>

namespace checker {
namespace {

bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Printable ASCII that RFC 3986 allows somewhere in a URL (the "unwise" and
// space characters excluded); "%" must start an escape.
bool validRest(std::string_view rest) {
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("\"<>\\^`{|}").find(c) != std::string_view::npos) return false;
    if (c == '%' && (i + 2 >= rest.size() || !isHexDigit(rest[i + 1]) || !isHexDigit(rest[i + 2]))) return false;
  }
  return true;
}

bool validRegName(std::string_view host) {
  for (size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    if (isAsciiLetter(c) || isDigit(c) || c == '-' || c == '_' || c == '.') continue;
    if (c == '%' && i + 2 < host.size() && isHexDigit(host[i + 1]) && isHexDigit(host[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

Result<HttpUrl> parseHttpUrl(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  HttpUrl url;
  std::string_view rest;
  if (text.size() >= 7 && strncasecmp(text.data(), "http://", 7) == 0) {
    rest = text.substr(7);
  } else if (text.size() >= 8 && strncasecmp(text.data(), "https://", 8) == 0) {
    url.https = true;
    rest = text.substr(8);
  } else {
    return Error{quoted + " is not an http:// or https:// URL"};
  }
  size_t authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  std::string_view target = authorityEnd == std::string_view::npos ? "" : rest.substr(authorityEnd);
  if (!validRest(authority) || !validRest(target)) {
    return Error{quoted + " has a character a URL cannot hold (a space, a control or non-ASCII byte, a quote, "
                    "or a '%' that starts no escape)"};
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view portText;
  bool hasPort = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{quoted + ": '[' of an IPv6 address is not closed"};
    std::string v6(authority.substr(1, close - 1));
    in6_addr address{};
    if (inet_pton(AF_INET6, v6.c_str(), &address) != 1) return Error{quoted + ": '" + v6 + "' is not an IPv6 address"};
    url.host = v6;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{quoted + ": expected ':PORT' or '/' after ']'"};
      hasPort = true;
      portText = after.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      hasPort = true;
      portText = authority.substr(colon + 1);
    }
    if (!validRegName(url.host)) return Error{quoted + ": '" + url.host + "' is not a host name or address"};
  }
  if (url.host.empty()) return Error{quoted + ": missing host"};
  url.port = url.https ? 443 : 80;
  if (hasPort) {
    Result<uint64_t> port = parseCount(portText, 1, 65535);
    if (!port) return Error{quoted + ": port " + port.error()};
    url.port = static_cast<uint16_t>(*port);
  }
  url.target = target.empty() ? "/" : std::string(target);
  return url;
}

}  // namespace checker
