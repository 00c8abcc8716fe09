#include "channels/webhook_payload.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <new>

#include "channels/payload_objects.h"

namespace checker::channels {

PayloadJson webhookObject(const NoticeFacts& facts) {
  std::string page = jobPageLink(facts);
  PayloadJson body = {
      {"version", kWebhookPayloadVersion},
      {"instance", facts.instance},
      {"job", {{"id", facts.jobId}, {"name", facts.jobName}, {"type", facts.jobType}}},
      {"state", noticeStateName(facts.state)},
      {"outcome", facts.outcome},
      {"message", facts.message},
      {"since", facts.sinceUnixMs != 0 ? PayloadJson(utcTimestamp(facts.sinceUnixMs)) : PayloadJson(nullptr)},
      {"at", utcTimestamp(facts.atUnixMs)},
      {"failures", facts.failures},
      {"links", {{"page", page.empty() ? PayloadJson(nullptr) : PayloadJson(page)}}},
  };
  return body;
}

std::string webhookBody(const NoticeFacts& facts) { return payloadText(webhookObject(facts)); }

std::string webhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signedText;
  signedText.reserve(timestamp.size() + 1 + body.size());
  signedText.append(timestamp).append(".").append(body);
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const unsigned char kNoKey[1] = {0};
  const void* key = secret.empty() ? static_cast<const void*>(kNoKey) : secret.data();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(signedText.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, signedText.size(), mac, &macLength) == nullptr) {
    throw std::bad_alloc();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < macLength; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0f];
  }
  return out;
}

}  // namespace checker::channels
