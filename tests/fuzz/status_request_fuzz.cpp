// libFuzzer target: the answering side reading the question of the signed
// protocol (peering/status_request.h), the query string any client on the
// network may send to /v2/status. The input is used twice: as the query
// string, and as the name of an asker.
//
// What must hold, whatever the bytes:
//   - parsing never crashes, and a refusal says why;
//   - what parses has a valid nonce, a key id and a valid identity, and
//     statusRequestQuery writes it back into a query that parses to the
//     same fields;
//   - an asker named by the input is written into a query that parses back
//     to that same name exactly when the name is a valid identity.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "peering/status_request.h"

namespace {

using checker::peerd::parseStatusRequest;
using checker::peerd::StatusRequest;
using checker::peerd::statusRequestQuery;
using checker::peerd::validIdentity;
using checker::peerd::validNonce;

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "status_request_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto request = parseStatusRequest(input);
  require(request.ok() || !request.error().empty(), "a refusal without a reason");
  if (request) {
    require(validNonce(request->nonce) && !request->keyId.empty() && validIdentity(request->requester),
            "a question accepted with a field that is not valid");
    auto again = parseStatusRequest(statusRequestQuery(*request));
    require(again && again->nonce == request->nonce && again->keyId == request->keyId &&
                again->requester == request->requester,
            "a question changed in a round trip");
  }
  auto asked = parseStatusRequest(statusRequestQuery(StatusRequest{"00112233445566778899aabbccddeeff", "k", input}));
  require(asked.ok() == validIdentity(input), "an asker's name accepted or refused against validIdentity");
  require(!asked || asked->requester == input, "an asker's name changed in a round trip");
  return 0;
}
