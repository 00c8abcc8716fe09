// libFuzzer target: the two parsers of the status page's password. The
// Authorization header any client may send (peerd/authorization.h), and the
// page_password value of a config (common/password_hash.h), both fed the
// same bytes.
//
// What must hold, whatever the bytes:
//   - neither parser crashes, and a refusal says why in a fixed text
//     (never echoing a secret);
//   - a Bearer secret never ends or starts with a space;
//   - a hash that parses is written back to text that parses to the same
//     hash, with iterations in the allowed range, a salt of at least 8
//     bytes and a key of 32.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/password_hash.h"
#include "peerd/authorization.h"

namespace {

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "page_credentials_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  checker::Result<std::string> secret = checker::peerd::presentedSecret(input);
  if (!secret) {
    require(!secret.error().empty(), "a refused header without a reason");
    require(secret.error().size() < 64, "a refusal longer than its fixed text: it echoes the header");
  } else if (input.size() > 7 && (input[0] == 'b' || input[0] == 'B') && (input[1] == 'e' || input[1] == 'E')) {
    require(!secret->empty() && secret->front() != ' ' && secret->back() != ' ', "a Bearer token with spaces around");
  }
  checker::Result<checker::PasswordHash> hash = checker::parsePasswordHash(input);
  if (!hash) {
    require(!hash.error().empty(), "a refused hash without a reason");
    return 0;
  }
  require(hash->iterations >= checker::kMinPasswordHashIterations &&
              hash->iterations <= checker::kMaxPasswordHashIterations,
          "iterations out of range");
  require(hash->salt.size() >= 8 && hash->key.size() == 32, "a salt or key of the wrong size");
  checker::Result<checker::PasswordHash> again = checker::parsePasswordHash(checker::formatPasswordHash(*hash));
  require(again && *again == *hash, "a hash written back does not read the same");
  return 0;
}
