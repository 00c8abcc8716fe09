// libFuzzer target: the asking side reading a peer's signed answer
// (peering/status_document.h, protocol 2), the one place peer traffic is
// parsed as more than a word. The input is the answer's body, as a peer
// may send it.
//
// What must hold, whatever the bytes:
//   - parsing never crashes, and a refusal says why;
//   - the bytes as received never verify, whoever the asker expects: the
//     fuzzer cannot know the secret, so a success would be a forgery;
//   - what parses is signed and written back by signedStatusJson into a
//     document that parses to the same fields, and that verifies for its
//     requester expecting its responder exactly when the status is a known
//     word and the two sides differ;
//   - that genuine answer never verifies for anyone else: not for the
//     reverse direction, not for another requester or responder, not
//     reflected (the requester expecting itself), not with another nonce.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "peering/status_document.h"

namespace {

using checker::peerd::AnswerExpectation;
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

bool verifies(const std::string& body, std::string_view self, std::string_view peer, std::string_view nonce,
              int64_t now) {
  return verifyStatusAnswer(body, kSecret, AnswerExpectation{self, peer, nonce}, now).ok();
}

// The genuine answer for DOCUMENT, checked against everyone it is not for.
void checkGenuine(const StatusDocument& document) {
  auto signedJson = signedStatusJson(kSecret, document);
  require(signedJson.ok(), "signedStatusJson could not sign");
  const std::string& again = *signedJson;
  auto back = parseStatusJson(again);
  require(back.ok(), "signedStatusJson wrote what parseStatusJson refuses");
  require(back->responder == document.responder && back->requester == document.requester &&
              back->status == document.status && back->unixTime == document.unixTime && back->nonce == document.nonce,
          "fields changed in a round trip");
  const std::string& responder = document.responder;
  const std::string& requester = document.requester;
  int64_t time = document.unixTime;
  bool knownStatus = document.status == "True" || document.status == "MailProblem" || document.status == "JobProblem";
  require(verifies(again, requester, responder, document.nonce, time) == (knownStatus && responder != requester),
          "a genuine answer not verified (or an unknown status, or a reflected answer, accepted)");
  require(!verifies(again, responder, requester, document.nonce, time), "verified in the reverse direction");
  require(!verifies(again, requester + "x", responder, document.nonce, time), "verified for another requester");
  require(!verifies(again, requester, responder + "x", document.nonce, time), "verified from another responder");
  require(!verifies(again, responder, responder, document.nonce, time), "verified by its own signer");
  require(!verifies(again, requester, responder, document.nonce + "0", time), "verified with another nonce");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto document = parseStatusJson(body);
  require(document.ok() || !document.error().empty(), "a refusal without a reason");
  if (!document) {
    require(!verifies(body, "a", "b", "00", kNow), "an unparsable answer verified");
    return 0;
  }
  // Whatever the peer wrote, a forged signature must not verify, for the
  // asker it names or any other.
  require(!verifies(body, document->requester, document->responder, document->nonce, document->unixTime),
          "an answer verified without the secret");
  require(!verifies(body, "web2", "web1", document->nonce, document->unixTime), "an answer verified without the secret");
  checkGenuine(*document);
  return 0;
}
