// libFuzzer target: peerd/history_api.h's parseApiRequest and the percent
// coding of job ids (common/percent_encoding.h), what peerd makes of any
// URL a client sends under /api/v1/.
//
// What must hold, whatever the bytes:
//   - the answer is a request or an error with status 400 or 404;
//   - a history or incidents request has since < until, at most 400 days apart;
//   - percentEncode's output decodes back to its input, and is made of
//     unreserved characters and %XX only.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "common/percent_encoding.h"
#include "peerd/history_api.h"

namespace {

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "api_request_fuzz: %s\n", what);
    std::abort();
  }
}

constexpr int64_t kNow = 1'800'000'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::string url : {std::string(input), std::string(checker::peerd::kApiPrefix) + std::string(input)}) {
    auto parsed = checker::peerd::parseApiRequest(url, kNow);
    if (const auto* e = std::get_if<checker::peerd::ApiError>(&parsed)) {
      require(e->status == 400 || e->status == 404, "an error status other than 400 or 404");
      require(!e->what.empty(), "an error that says nothing");
      continue;
    }
    const auto& asked = std::get<checker::peerd::ApiRequest>(parsed);
    using Kind = checker::peerd::ApiRequest::Kind;
    if (asked.kind == Kind::history || asked.kind == Kind::incidents) {
      require(asked.sinceUnixMs < asked.untilUnixMs, "a range that ends before it starts");
      require(asked.untilUnixMs - asked.sinceUnixMs <= 400LL * 86'400'000, "a range over 400 days");
    }
  }
  std::string encoded = checker::percentEncode(input);
  for (char c : encoded) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_' || c == '~' || c == '%';
    require(plain, "percentEncode left a reserved byte");
  }
  auto decoded = checker::percentDecode(encoded);
  require(decoded && *decoded == input, "percent coding does not round-trip");
  return 0;
}
