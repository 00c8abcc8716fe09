#include "peering/signed_fields.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <functional>
#include <set>

#include "peering/signed_json.h"

namespace checker::peerd {
namespace {

// The members of the top-level object that appear more than once.
struct RepeatedMembers {
  std::set<std::string> seen;
  std::string repeated;
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second && repeated.empty()) repeated = key;
    }
    return true;
  }
};

}  // namespace

std::string hexOf(const unsigned char* bytes, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

void appendSignedField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

Result<std::string> hmacHex(std::string_view key, std::string_view bytes) {
  if (key.empty()) return Error{"signature: no key"};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  bool ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), mac, &size) != nullptr;
  if (!ok) return Error{"signature: HMAC-SHA256 failed (OpenSSL)"};
  return hexOf(mac, size);
}

bool sameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string shownText(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out + (text.size() > 60 ? "...'" : "'");
}

Result<> identitiesMatch(std::string_view responder, std::string_view requester, std::string_view self,
                         std::string_view peer) {
  if (responder == self) {
    return Error{"the answer is signed as this instance itself (" + shownText(self) +
                 "): our own answer relayed or reflected back (or a peer with our servername), not the peer's"};
  }
  if (requester != self) {
    return Error{"the answer was asked for by " + shownText(requester) + ", not by this instance (" + shownText(self) +
                 "): relayed from another asker"};
  }
  if (responder != peer) {
    return Error{"the answer names " + shownText(responder) + " as who answered, not " + shownText(peer) +
                 " (with a secret, a peer's [peers] name must be its servername)"};
  }
  return {};
}

Result<> timeWithin(int64_t answerTime, int64_t nowUnixSeconds, int64_t windowSeconds) {
  int64_t skew = 0;
  if (__builtin_sub_overflow(answerTime, nowUnixSeconds, &skew) || skew == INT64_MIN) {
    return Error{"the answer's time " + std::to_string(answerTime) + " is nowhere near ours"};
  }
  if (skew > windowSeconds || -skew > windowSeconds) {
    return Error{"the answer's time is " + std::to_string(skew < 0 ? -skew : skew) + " s " +
                 (skew < 0 ? "behind" : "ahead of") + " ours (at most " + std::to_string(windowSeconds) +
                 " s allowed)"};
  }
  return {};
}

Result<nlohmann::json> parseSignedObject(std::string_view text) {
  RepeatedMembers repeats;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end(), std::ref(repeats));
  } catch (const nlohmann::json::exception& e) {
    return Error{e.what()};  // nlohmann reports only by exception: turned into an Error here
  }
  if (!json.is_object()) return Error{"not a JSON object"};
  if (!repeats.repeated.empty()) return Error{"\"" + repeats.repeated + "\" appears twice"};
  return json;
}

Result<std::string> stringMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return Error{std::string("no string member \"") + name + "\""};
  return it->get<std::string>();
}

Result<int64_t> integerMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    return Error{std::string("no integer member \"") + name + "\""};
  }
  return it->get<int64_t>();
}

Result<bool> boolMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_boolean()) return Error{std::string("no boolean member \"") + name + "\""};
  return it->get<bool>();
}

}  // namespace checker::peerd
