#include "common/password_hash.h"

#include "common/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>

namespace checker {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kSaltBytes = 16;
constexpr size_t kMinSaltBytes = 8;

Result<std::string> derive(std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    return Error{"PBKDF2 failed in OpenSSL"};
  }
  return key;
}

}  // namespace

Result<PasswordHash> parsePasswordHash(std::string_view text) {
  auto field = [&text]() {
    size_t dollar = text.find('$');
    std::string_view f = text.substr(0, dollar);
    text.remove_prefix(dollar == std::string_view::npos ? text.size() : dollar + 1);
    return f;
  };
  std::string_view scheme = field(), iterations = field(), salt = field(), key = field();
  const std::string expected = "expected " + std::string(kPasswordHashScheme) +
                               "$ITERATIONS$SALT$KEY as `checker hash-password` prints it";
  if (scheme != kPasswordHashScheme || key.empty() || !text.empty()) {
    return Error{"not a password hash: " + expected + " (a password is never written in the config itself)"};
  }
  PasswordHash hash;
  auto [end, ec] = std::from_chars(iterations.data(), iterations.data() + iterations.size(), hash.iterations);
  if (ec != std::errc() || end != iterations.data() + iterations.size() ||
      hash.iterations < kMinPasswordHashIterations || hash.iterations > kMaxPasswordHashIterations) {
    return Error{"the password hash's iterations must be a number from " + std::to_string(kMinPasswordHashIterations) +
                 " to " + std::to_string(kMaxPasswordHashIterations)};
  }
  Result<std::string> saltBytes = base64Decode(salt);
  if (!saltBytes || saltBytes->size() < kMinSaltBytes) {
    return Error{"the password hash's salt is not base64 of at least 8 bytes; " + expected};
  }
  Result<std::string> keyBytes = base64Decode(key);
  if (!keyBytes || keyBytes->size() != kKeyBytes) {
    return Error{"the password hash's key is not base64 of 32 bytes; " + expected};
  }
  hash.salt = std::move(*saltBytes);
  hash.key = std::move(*keyBytes);
  return hash;
}

std::string formatPasswordHash(const PasswordHash& hash) {
  return std::string(kPasswordHashScheme) + "$" + std::to_string(hash.iterations) + "$" + base64Encode(hash.salt) +
         "$" + base64Encode(hash.key);
}

Result<std::string> newRandomToken() {
  std::string bytes(24, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) != 1) {
    return Error{"no random bytes for a token from OpenSSL"};
  }
  std::string token = base64Encode(bytes);
  for (char& c : token) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!token.empty() && token.back() == '=') token.pop_back();
  return token;
}

Result<PasswordHash> hashPassword(std::string_view password, uint32_t iterations) {
  PasswordHash hash;
  hash.iterations = iterations;
  hash.salt.assign(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(hash.salt.data()), static_cast<int>(hash.salt.size())) != 1) {
    return Error{"no random bytes for a salt from OpenSSL"};
  }
  Result<std::string> key = derive(password, hash.salt, iterations);
  if (!key) return Error{key.error()};
  hash.key = std::move(*key);
  return hash;
}

bool passwordMatches(const PasswordHash& hash, std::string_view password) {
  Result<std::string> key = derive(password, hash.salt, hash.iterations);
  return key && key->size() == hash.key.size() && CRYPTO_memcmp(key->data(), hash.key.data(), key->size()) == 0;
}

}  // namespace checker
