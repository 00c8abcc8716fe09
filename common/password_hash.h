#pragma once
// The status page's password or token, stored hashed in the config:
//
//   pbkdf2-sha256$ITERATIONS$SALT$KEY
//
// SALT and KEY in standard base64; KEY is PBKDF2-HMAC-SHA256 of the
// password over SALT, 32 bytes. `checker hash-password` writes it; peerd
// compares a presented password against it in constant time. The
// iterations make a leaked config slow to attack offline; online guessing
// is the rate limit's job (peerd/page_guard.h).
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker {

// About 60 ms on one core of the project's machines: paid once per peerd
// run for the right password (then remembered), and per failed attempt.
inline constexpr uint32_t kPasswordHashIterations = 200'000;
// What a hash in the config may ask for: below, it is too weak to be worth
// a hash; above, one failed attempt would stall peerd's loop for seconds.
inline constexpr uint32_t kMinPasswordHashIterations = 10'000;
inline constexpr uint32_t kMaxPasswordHashIterations = 2'000'000;
inline constexpr std::string_view kPasswordHashScheme = "pbkdf2-sha256";

struct PasswordHash {
  uint32_t iterations = kPasswordHashIterations;
  std::string salt;  // raw bytes, at least 8
  std::string key;   // raw bytes, 32
  bool operator==(const PasswordHash&) const = default;
};

// TEXT as written above, or what is wrong with it (never echoing TEXT).
Result<PasswordHash> parsePasswordHash(std::string_view text);
std::string formatPasswordHash(const PasswordHash& hash);

// PASSWORD hashed with a fresh 16-byte salt from getrandom(2).
Result<PasswordHash> hashPassword(std::string_view password, uint32_t iterations = kPasswordHashIterations);

// PASSWORD hashes to HASH's key (PBKDF2 then CRYPTO_memcmp).
bool passwordMatches(const PasswordHash& hash, std::string_view password);

// A fresh random token of 24 bytes from OpenSSL's generator, as base64url
// without padding (32 characters: safe in a header, a URL, a shell word).
Result<std::string> newRandomToken();

}  // namespace checker
