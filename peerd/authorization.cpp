#include "peerd/authorization.h"

#include <strings.h>

#include "common/base64.h"

namespace checker::peerd {
namespace {

bool startsWithScheme(std::string_view header, std::string_view scheme) {
  return header.size() > scheme.size() && strncasecmp(header.data(), scheme.data(), scheme.size()) == 0 &&
         header[scheme.size()] == ' ';
}

std::string_view afterScheme(std::string_view header, size_t schemeLength) {
  header.remove_prefix(schemeLength);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  return header;
}

}  // namespace

Result<std::string> presentedSecret(std::string_view authorization) {
  if (startsWithScheme(authorization, "Basic")) {
    Result<std::string> decoded = base64Decode(afterScheme(authorization, 5));
    if (!decoded) return Error{"Authorization: Basic credentials are not base64"};
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return Error{"Authorization: Basic credentials without a ':'"};
    return decoded->substr(colon + 1);
  }
  if (startsWithScheme(authorization, "Bearer")) {
    std::string_view token = afterScheme(authorization, 6);
    if (token.empty()) return Error{"Authorization: Bearer without a token"};
    return std::string(token);
  }
  return Error{"Authorization: not Basic or Bearer"};
}

}  // namespace checker::peerd
