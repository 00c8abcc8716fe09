#pragma once
// The secret a client presents in its Authorization header, for the status
// page's password (peerd/page_guard.h):
//   Basic base64(USER:PASSWORD)   what a browser sends after the 401
//                                 challenge; USER is not checked
//   Bearer TOKEN                  what a script sends (curl -H ...)
// The scheme in any case (RFC 9110), one or more spaces after it. Anything
// else is an error naming what was wrong, never echoing the header.
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker::peerd {

Result<std::string> presentedSecret(std::string_view authorization);

}  // namespace checker::peerd
