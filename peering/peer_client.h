#pragma once
// The asking side of peering: one GET to a peer with libcurl on the loop
// (common/curl_on_uv.h), a deadline for the whole exchange, and the answer
// classified in the words the peer's admin will read.
//
//   no secret:  GET URL                       the original's plain answer
//   a secret:   GET SCHEME://HOST:PORT/v2/status?nonce=N&key=K&from=ASKER
//               a fresh nonce each time; the signed JSON is verified
//               to come from NAME for ASKER (peering/status_document.h)
//   confirm:    GET SCHEME://HOST:PORT/v2/confirm?job=ID&after=MS&wait=MS&...
//               (a secret only; peering/confirm_request.h), the signed
//               view verified as above and for the job asked
//               (peering/confirm_document.h)
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
#include "peering/confirm_document.h"
#include "peering/peer_view.h"
#include "peering/status_document.h"
#include "state/state_view.h"

namespace checker::peerd {

// A peer answers a few bytes; anything longer is not a peer.
inline constexpr size_t kMaxAnswerBytes = 4096;
// A confirm answer carries the job id (up to 1 KiB) and a message (512 bytes), escaped.
inline constexpr size_t kMaxConfirmAnswerBytes = 16384;

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
// PEER's answer to a confirm question: a verified view (failing, ok,
// neverRun, unknownJob), refused for 403, else unreachable saying why.
PeerView classifyConfirmAnswer(const std::string& peer, long httpStatus, const std::string& body,
                               const std::string& secret, const ConfirmExpectation& expected, int64_t nowUnixSeconds);

// What a confirm question asks (the nonce, key and asker come from the target).
struct ConfirmAsk {
  std::string jobId;
  int64_t afterUnixMs = 0;
  uint32_t waitMs = 0;
};

class PeerClient {
 public:
  using Done = std::function<void(PeerAnswer)>;
  using ConfirmDone = std::function<void(PeerView)>;
  // One finished GET.
  struct Fetched {
    int curlCode = 0;  // CURLcode
    std::string curlError;
    long httpStatus = 0;
    std::string body;
    bool tooLong = false;
  };

  explicit PeerClient(CurlOnUv& curl) : curl_(curl) {}

  // Asks TARGET; DONE is called once, from the loop (or from CurlOnUv::close).
  void query(const PeerTarget& target, uint32_t timeoutMs, Done done);
  // Asks TARGET (which must have a secret) for its view of ASK's job; DONE
  // is called once, with the view (refused at once without a secret).
  void confirm(const PeerTarget& target, const ConfirmAsk& ask, uint32_t timeoutMs, ConfirmDone done);

  // The URL asked for TARGET with NONCE (exposed for tests), or an Error
  // when the configured URL cannot be used, or (with a secret) the asker's
  // identity is not one (status_request.h).
  static Result<std::string> requestUrl(const PeerTarget& target, const std::string& nonce);
  // The URL of a confirm question to TARGET with NONCE.
  static Result<std::string> confirmUrl(const PeerTarget& target, const std::string& nonce, const ConfirmAsk& ask);

 private:
  // TARGET's URL with PATH and QUERY instead of its own; an Error when it
  // cannot be used, or the asker's identity is not one.
  static Result<std::string> signedUrl(const PeerTarget& target, std::string_view path, const std::string& query);
  void fetch(const std::string& url, uint32_t timeoutMs, size_t maxBytes, std::function<void(const Fetched&)> done);

  CurlOnUv& curl_;
};

}  // namespace checker::peerd
