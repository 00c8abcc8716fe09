// libFuzzer target: the answering side reading the confirm question
// (peering/confirm_request.h), the query string any client may send to
// /v2/confirm. The input is used twice: as the query string, and as the
// id of the job asked about.
//
// What must hold, whatever the bytes:
//   - parsing never crashes, and a refusal says why;
//   - what parses has a valid asker (nonce, key id, identity), a valid job
//     id, a wait within 30 s, and confirmRequestQuery writes it back into a
//     query that parses to the same fields;
//   - a job id named by the input is written into a query that parses back
//     to that same id exactly when it is valid text of at most 1024 bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "peering/confirm_request.h"

namespace {

using namespace checker::peerd;

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "confirm_request_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto request = parseConfirmRequest(input);
  require(request.ok() || !request.error().empty(), "a refusal without a reason");
  if (request) {
    require(checkStatusRequest(request->asker).ok() && validText(request->jobId, kJobIdMaxBytes) &&
                request->afterUnixMs >= 0 && request->waitMs <= kMaxConfirmWaitMs,
            "a question accepted with a field that is not valid");
    auto again = parseConfirmRequest(confirmRequestQuery(*request));
    require(again && again->jobId == request->jobId && again->afterUnixMs == request->afterUnixMs &&
                again->waitMs == request->waitMs && again->asker.nonce == request->asker.nonce &&
                again->asker.keyId == request->asker.keyId && again->asker.requester == request->asker.requester,
            "a question changed in a round trip");
  }
  ConfirmRequest named{{"00112233445566778899aabbccddeeff", "k", "alpha"}, input, 1, 0};
  auto asked = parseConfirmRequest(confirmRequestQuery(named));
  require(asked.ok() == validText(input, kJobIdMaxBytes), "a job id accepted or refused against validText");
  require(!asked || asked->jobId == input, "a job id changed in a round trip");
  return 0;
}
