#pragma once
// The asking side of peering: one GET to a peer with libcurl on the loop
// (common/curl_on_uv.h), a deadline for the whole exchange, and the answer
// classified in the words the peer's admin will read.
//
//   no secret:  GET URL                       the original's plain answer
//   a secret:   GET SCHEME://HOST:PORT/v2/status?nonce=N&key=K&from=ASKER
//               a fresh nonce each time; the signed JSON is verified
//               to come from NAME for ASKER (peering/status_document.h)
//
// Classification is pure (classifyPlainAnswer, classifySignedAnswer) so it
// is tested without a network.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/curl_on_uv.h"
#include "common/result.h"
#include "ipc/state.capnp.h"
#include "peering/status_document.h"
#include "state/state_view.h"

namespace checker::peerd {

// A peer answers a few bytes; anything longer is not a peer.
inline constexpr size_t kMaxAnswerBytes = 4096;

struct PeerTarget {
  std::string name;    // with a secret, also the identity the answer must come from
  std::string url;
  std::string secret;  // empty: the plain answer
  std::string asker;   // this instance's identity ([general] servername)
};

struct PeerAnswer {
  ipc::PeerStatus status = ipc::PeerStatus::UNKNOWN;
  std::string message;  // one line: what the admin is told
  long httpStatus = 0;
  bool authenticated = false;  // the answer was signed and verified
};

// "healthy", "no answer", ... for people and --json (state/state_view.h,
// beside the stored answers it names).
using checker::peerStatusName;

PeerAnswer classifyPlainAnswer(long httpStatus, const std::string& body);
PeerAnswer classifySignedAnswer(long httpStatus, const std::string& body, const std::string& secret,
                                const AnswerExpectation& expected, int64_t nowUnixSeconds);
// A transfer libcurl could not complete (CURLcode, its error text).
PeerAnswer classifyTransferError(int curlCode, const std::string& curlError, uint32_t timeoutMs);

class PeerClient {
 public:
  using Done = std::function<void(PeerAnswer)>;

  explicit PeerClient(CurlOnUv& curl) : curl_(curl) {}

  // Asks TARGET; DONE is called once, from the loop (or from CurlOnUv::close).
  void query(const PeerTarget& target, uint32_t timeoutMs, Done done);

  // The URL asked for TARGET with NONCE (exposed for tests), or an Error
  // when the configured URL cannot be used, or (with a secret) the asker's
  // identity is not one (status_request.h).
  static Result<std::string> requestUrl(const PeerTarget& target, const std::string& nonce);

 private:
  CurlOnUv& curl_;
};

}  // namespace checker::peerd
