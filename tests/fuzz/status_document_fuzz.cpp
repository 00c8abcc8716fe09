// libFuzzer target: the asking side reading a peer's signed answer
// (peerd/status_document.h), the one place peer traffic is parsed as more
// than a word. The input is the answer's body, as a peer may send it.
//
// What must hold, whatever the bytes:
//   - parsing never crashes, and what parses is signed and written back by
//     signedStatusJson into a document that parses to the same fields and
//     verifies;
//   - verification of the bytes as received succeeds only when they carry a
//     signature computed with the secret, over the nonce sent and a time in
//     the window: the fuzzer cannot know the secret, so a success on a body
//     not made by signedStatusJson would be a forgery.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "peerd/status_document.h"

namespace {

using checker::peerd::parseStatusJson;
using checker::peerd::signedStatusJson;
using checker::peerd::StatusDocument;
using checker::peerd::verifyStatusAnswer;

constexpr std::string_view kSecret = "fuzz secret, never in a seed";
constexpr int64_t kNow = 1'764'000'000;

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "status_document_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto document = parseStatusJson(body, &error);
  require(document.has_value() || !error.empty(), "a refusal without a reason");
  if (document) {
    // Whatever the peer wrote, a forged signature must not verify.
    auto verified = verifyStatusAnswer(body, kSecret, document->nonce, document->unixTime);
    require(!verified.ok, "an answer verified without the secret");
    // What we would write for those fields reads back the same and verifies.
    std::string again = signedStatusJson(kSecret, *document);
    auto back = parseStatusJson(again, &error);
    require(back.has_value(), "signedStatusJson wrote what parseStatusJson refuses");
    require(back->server == document->server && back->status == document->status &&
                back->unixTime == document->unixTime && back->nonce == document->nonce,
            "fields changed in a round trip");
    auto genuine = verifyStatusAnswer(again, kSecret, document->nonce, document->unixTime);
    bool knownStatus = document->status == "True" || document->status == "MailProblem" || document->status == "JobProblem";
    require(genuine.ok == knownStatus, "a genuine answer not verified (or an unknown status accepted)");
  } else {
    require(!verifyStatusAnswer(body, kSecret, "00", kNow).ok, "an unparsable answer verified");
  }
  return 0;
}
