#pragma once
// The answering side's direction keys (peering/status_document.h), kept per
// secret and asker: deriving one (HKDF) costs several times the HMAC of
// the answer itself, and the askers worth answering are a handful of
// peers asking again and again. The asker's name comes from the network,
// so the table is bounded: when full it starts afresh, and a client naming
// a new asker each time costs what it would without the table.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace checker::peerd {

class DirectionKeys {
 public:
  explicit DirectionKeys(std::string responder, size_t capacity = 256)
      : responder_(std::move(responder)), capacity_(capacity) {}
  ~DirectionKeys();
  DirectionKeys(const DirectionKeys&) = delete;
  DirectionKeys& operator=(const DirectionKeys&) = delete;

  // directionKey(SECRET, responder, REQUESTER); KEY_ID names SECRET. The
  // view is good until the next call. directionKey's Error (not kept) if
  // it cannot be derived.
  Result<std::string_view> keyFor(std::string_view keyId, std::string_view secret, std::string_view requester);
  size_t size() const { return keys_.size(); }

 private:
  void clear();

  std::string responder_;
  size_t capacity_;
  std::map<std::pair<std::string, std::string>, std::string, std::less<>> keys_;
};

}  // namespace checker::peerd
