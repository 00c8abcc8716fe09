#include "common/random_token.h"

#include <sys/random.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/clock.h"

namespace checker {

std::string randomHex(size_t bytes) {
  unsigned char raw[32] = {};
  bytes = std::min(bytes, sizeof raw);
  if (::getrandom(raw, bytes, 0) != static_cast<ssize_t>(bytes)) {
    int64_t now = wallClockNowMs();
    std::memcpy(raw, &now, std::min(bytes, sizeof now));
  }
  std::string hex;
  char pair[3];
  for (size_t i = 0; i < bytes; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", raw[i]);
    hex += pair;
  }
  return hex;
}

}  // namespace checker
