#pragma once
// The signed confirm answer (issue 19), both sides of it: a peer's own view
// of one job, for an asker that is about to send a failure notice about the
// same job (peering/confirm_request.h is the question).
//
//   {"responder":"b","requester":"a","job":"tcp:db:5432","known":true,
//    "state":"failing","lastRunUnixMs":1764040000123,"outcome":"failed",
//    "message":"connection refused","ranNow":true,"time":1764040001,
//    "nonce":"…","signature":"…"}
//
//   known          the responder runs a job with this id now (its job list,
//                  not merely a record in its state); false: state is
//                  never_run, lastRunUnixMs 0 and the rest empty
//   state          ok, failing or never_run (its policy's view of the job)
//   lastRunUnixMs  when its last recorded run started; 0: never
//   outcome        that run's outcome (ok, failed, timeout, ...); "" when none
//   message        that run's message, at most kConfirmMessageMaxBytes
//   ranNow         the answer comes from a run that ended while this
//                  question waited (the responder ran its own job for it, or
//                  joined the run it had going)
//
// Signed like the status answer (peering/status_document.h), under the same
// key for the direction, key(R→Q) = HKDF(secret, …, R | Q), but over its own
// label ("checker confirm v1\n") and every field above with responder,
// requester, time and nonce, each length-prefixed: so a status answer is
// never a confirm answer, and a confirm answer is bound to the nonce, the
// job, the asker and the responder. The asker accepts it only if the
// identities are right (not itself, itself as requester, the expected peer
// as responder), the signature verifies, the nonce and the job are the ones
// it sent, the time is within the window, and the fields are well formed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace checker::peerd {

inline constexpr size_t kConfirmMessageMaxBytes = 512;

struct ConfirmDocument {
  std::string responder;  // who answered
  std::string requester;  // whom the answer is for
  std::string job;
  bool known = false;
  std::string state = "never_run";  // ok, failing, never_run
  int64_t lastRunUnixMs = 0;
  std::string outcome;
  std::string message;
  bool ranNow = false;
  int64_t unixTime = 0;
  std::string nonce;
  std::string signature;  // lowercase hex
};

// HMAC-SHA256 under KEY (directionKey(secret, responder, requester)) over
// the document's fields (not its signature), hex; an Error if it cannot be made.
Result<std::string> confirmSignatureWithKey(std::string_view key, const ConfirmDocument& document);
// The JSON text of DOCUMENT signed under KEY, or with SECRET.
Result<std::string> signedConfirmJsonWithKey(std::string_view key, ConfirmDocument document);
Result<std::string> signedConfirmJson(std::string_view secret, ConfirmDocument document);

// Parses the JSON text: an object with every member above (strings,
// booleans, integers), none repeated; unknown members are ignored. Or an
// Error saying what is wrong. The values are not judged here.
Result<ConfirmDocument> parseConfirmJson(std::string_view text);

// What the asker knows when the answer comes.
struct ConfirmExpectation {
  std::string_view self;   // the asker's identity: the requester
  std::string_view peer;   // the identity the answer must come from
  std::string_view nonce;  // the nonce just sent
  std::string_view job;    // the job asked about
};

// Checks BODY against what the asker sent and its clock; the document, or
// an Error saying why it does not count.
Result<ConfirmDocument> verifyConfirmAnswer(std::string_view body, std::string_view secret,
                                            const ConfirmExpectation& expected, int64_t nowUnixSeconds,
                                            int64_t windowSeconds = 60);

}  // namespace checker::peerd
