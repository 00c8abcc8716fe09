#include "peering/direction_keys.h"

#include <openssl/crypto.h>

#include "peering/status_document.h"

namespace checker::peerd {

DirectionKeys::~DirectionKeys() { clear(); }

void DirectionKeys::clear() {
  for (auto& [who, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
  keys_.clear();
}

Result<std::string_view> DirectionKeys::keyFor(std::string_view keyId, std::string_view secret,
                                               std::string_view requester) {
  std::pair<std::string, std::string> who{std::string(keyId), std::string(requester)};
  auto found = keys_.find(who);
  if (found != keys_.end()) return std::string_view(found->second);
  Result<std::string> key = directionKey(secret, responder_, requester);
  if (!key) return Error{key.error()};
  if (keys_.size() >= capacity_) clear();
  return std::string_view(keys_.emplace(std::move(who), std::move(*key)).first->second);
}

}  // namespace checker::peerd
