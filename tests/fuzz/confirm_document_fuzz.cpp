// libFuzzer target: the asking side reading a peer's confirm answer
// (peering/confirm_document.h), a body any server at a peer's address may
// send.
//
// What must hold, whatever the bytes:
//   - nothing crashes, and a refusal says why;
//   - no body verifies under a secret the fuzzer does not know (a success
//     would be a forgery);
//   - whatever parses is written back by signedConfirmJson into a document
//     with the same fields, which verifies for its requester expecting its
//     responder, nonce and job (when those are a valid view), and not for a
//     reversed pair, another nonce or another job.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "peering/confirm_document.h"

namespace {

using namespace checker::peerd;

const std::string kSecret = "fuzzing secret";

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "confirm_document_fuzz: %s\n", what);
    std::abort();
  }
}

bool sameFields(const ConfirmDocument& a, const ConfirmDocument& b) {
  return a.responder == b.responder && a.requester == b.requester && a.job == b.job && a.known == b.known &&
         a.state == b.state && a.lastRunUnixMs == b.lastRunUnixMs && a.outcome == b.outcome &&
         a.message == b.message && a.ranNow == b.ranNow && a.unixTime == b.unixTime && a.nonce == b.nonce;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto parsed = parseConfirmJson(input);
  require(parsed.ok() || !parsed.error().empty(), "a refusal without a reason");
  if (!parsed) return 0;
  ConfirmExpectation asIs{parsed->requester, parsed->responder, parsed->nonce, parsed->job};
  auto forged = verifyConfirmAnswer(input, kSecret, asIs, parsed->unixTime);
  require(!forged.ok(), "a body verified under a secret it was not signed with: a forgery");
  auto resigned = signedConfirmJson(kSecret, *parsed);
  require(resigned.ok(), "a parsed document could not be signed");
  auto again = parseConfirmJson(*resigned);
  require(again && sameFields(*again, *parsed), "a document changed when written back");
  auto verified = verifyConfirmAnswer(*resigned, kSecret, asIs, parsed->unixTime);
  if (verified) {
    require(sameFields(*verified, *parsed), "a verified document differs from the one signed");
    ConfirmExpectation reversed{parsed->responder, parsed->requester, parsed->nonce, parsed->job};
    require(!verifyConfirmAnswer(*resigned, kSecret, reversed, parsed->unixTime),
            "an answer verified for the reversed pair");
    std::string otherNonce = parsed->nonce + "0";
    ConfirmExpectation anotherNonce{parsed->requester, parsed->responder, otherNonce, parsed->job};
    require(!verifyConfirmAnswer(*resigned, kSecret, anotherNonce, parsed->unixTime),
            "an answer verified for another nonce");
    std::string otherJob = parsed->job + "x";
    ConfirmExpectation anotherJob{parsed->requester, parsed->responder, parsed->nonce, otherJob};
    require(!verifyConfirmAnswer(*resigned, kSecret, anotherJob, parsed->unixTime),
            "an answer verified for another job");
  }
  return 0;
}
