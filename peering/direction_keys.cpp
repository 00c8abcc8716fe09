#include "peering/direction_keys.h"

#include <openssl/crypto.h>

#include "peering/status_document.h"

namespace checker::peerd {

DirectionKeys::~DirectionKeys() { clear(); }

void DirectionKeys::clear() {
  for (auto& [who, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
  keys_.clear();
}

const std::string& DirectionKeys::keyFor(std::string_view keyId, std::string_view secret, std::string_view requester) {
  std::pair<std::string, std::string> who{std::string(keyId), std::string(requester)};
  auto found = keys_.find(who);
  if (found != keys_.end()) return found->second;
  std::string key = directionKey(secret, responder_, requester);
  if (key.empty()) return failed_;
  if (keys_.size() >= capacity_) clear();
  return keys_.emplace(std::move(who), std::move(key)).first->second;
}

}  // namespace checker::peerd
