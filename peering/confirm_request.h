#pragma once
// The question of the confirm protocol (issue 19), both sides of it: the
// query string of
//
//   GET /v2/confirm?job=ID&after=UNIXMS&wait=MS&nonce=HEX&key=KEYID&from=IDENTITY
//
//   job    the job's identity (its state key: tcp:HOST:PORT, http:URL, ...),
//          1 to 1024 bytes of UTF-8 without control characters
//   after  unix ms, the asker's failure time: a result older than this is
//          stale, and the peer may run its own job once now to answer
//   wait   ms the asker waits for a fresh run (0 to 30000; absent: 0, the
//          peer answers from its state as it is)
//   nonce, key, from   as /v2/status (peering/status_request.h): a fresh
//          nonce, the id of the shared secret, the asker's identity
//
// Read by the same rules as /v2/status's (readQueryParameters: unknown
// parameters ignored, a repeat refused). Pure text, no I/O: fuzzed whole
// (tests/fuzz/confirm_request_fuzz.cpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "peering/status_request.h"

namespace checker::peerd {

inline constexpr std::string_view kConfirmPath = "/v2/confirm";
inline constexpr size_t kJobIdMaxBytes = 1024;
// The longest a peer is asked to wait for its own run: a run's result is
// worth waiting for this long at most.
inline constexpr uint32_t kMaxConfirmWaitMs = 30'000;

struct ConfirmRequest {
  StatusRequest asker;  // nonce, key id, from
  std::string jobId;
  int64_t afterUnixMs = 0;
  uint32_t waitMs = 0;
};

// "job=..&after=..&wait=..&nonce=..&key=..&from=..", each percent-encoded.
std::string confirmRequestQuery(const ConfirmRequest& request);

// Reads QUERY (the part after '?'), or an Error saying what is wrong.
Result<ConfirmRequest> parseConfirmRequest(std::string_view query);

}  // namespace checker::peerd
