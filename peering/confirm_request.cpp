#include "peering/confirm_request.h"

#include <charconv>

#include "common/percent_encoding.h"

namespace checker::peerd {
namespace {

// Decimal digits only (no sign, no spaces) within [0, MAX].
Result<uint64_t> decimal(std::string_view text, uint64_t max, const char* name) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) {
    return Error{"'" + std::string(name) + "' must be a whole number from 0 to " + std::to_string(max)};
  }
  return value;
}

}  // namespace

std::string confirmRequestQuery(const ConfirmRequest& request) {
  return "job=" + percentEncode(request.jobId) + "&after=" + std::to_string(request.afterUnixMs) +
         "&wait=" + std::to_string(request.waitMs) + "&" + statusRequestQuery(request.asker);
}

Result<ConfirmRequest> parseConfirmRequest(std::string_view query) {
  ConfirmRequest request;
  std::string after, wait;
  bool seenJob = false, seenAfter = false, seenWait = false, seenNonce = false, seenKey = false, seenFrom = false;
  Result<> read = readQueryParameters(query, {{"job", &seenJob, &request.jobId},
                                              {"after", &seenAfter, &after},
                                              {"wait", &seenWait, &wait},
                                              {"nonce", &seenNonce, &request.asker.nonce},
                                              {"key", &seenKey, &request.asker.keyId},
                                              {"from", &seenFrom, &request.asker.requester}});
  if (!read) return Error{read.error()};
  if (Result<> asker = checkStatusRequest(request.asker); !asker) return Error{asker.error()};
  if (!validText(request.jobId, kJobIdMaxBytes)) {
    return Error{"'job' must name a job: 1 to " + std::to_string(kJobIdMaxBytes) +
                 " bytes of UTF-8 without control characters"};
  }
  if (!seenAfter) return Error{"no failure time ('after')"};
  Result<uint64_t> afterMs = decimal(after, static_cast<uint64_t>(INT64_MAX), "after");
  if (!afterMs) return Error{afterMs.error()};
  request.afterUnixMs = static_cast<int64_t>(*afterMs);
  if (seenWait) {
    Result<uint64_t> waitMs = decimal(wait, kMaxConfirmWaitMs, "wait");
    if (!waitMs) return Error{waitMs.error()};
    request.waitMs = static_cast<uint32_t>(*waitMs);
  }
  return request;
}

}  // namespace checker::peerd
