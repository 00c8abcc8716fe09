#include "peerd/status_document.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>

#include "common/json_string.h"

namespace checker::peerd {
namespace {

std::string hex(const unsigned char* bytes, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

bool isHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

// "LEN:VALUE\n": no two different field lists give the same bytes.
void appendField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

// A strict reader for one flat JSON object whose members are strings or
// integers: all the document needs, and little enough to fuzz whole.
class FlatJsonReader {
 public:
  explicit FlatJsonReader(std::string_view text) : text_(text) {}

  struct Value {
    bool isString = false;
    std::string text;
    int64_t number = 0;
  };

  bool read(std::map<std::string, Value>* members, std::string* error) {
    skipSpace();
    if (!consume('{')) return fail("expected '{'", error);
    skipSpace();
    if (consume('}')) return end(error);
    while (true) {
      skipSpace();
      std::string key;
      if (!readString(&key)) return fail("expected a member name in quotes", error);
      skipSpace();
      if (!consume(':')) return fail("expected ':' after \"" + key + "\"", error);
      skipSpace();
      Value value;
      if (peek() == '"') {
        value.isString = true;
        if (!readString(&value.text)) return fail("bad string for \"" + key + "\"", error);
      } else if (!readInteger(&value.number)) {
        return fail("\"" + key + "\" is neither a string nor an integer", error);
      }
      if (!members->emplace(key, std::move(value)).second) return fail("\"" + key + "\" appears twice", error);
      skipSpace();
      if (consume('}')) return end(error);
      if (!consume(',')) return fail("expected ',' or '}'", error);
    }
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool consume(char c) {
    if (peek() != c || pos_ >= text_.size()) return false;
    ++pos_;
    return true;
  }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool end(std::string* error) {
    skipSpace();
    return pos_ == text_.size() || fail("text after the object", error);
  }
  bool fail(const std::string& what, std::string* error) {
    *error = what + " at byte " + std::to_string(pos_);
    return false;
  }

  bool readInteger(int64_t* out) {
    bool negative = consume('-');
    size_t digits = 0;
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (++digits > 18) return false;  // far beyond any time we would accept
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (digits == 0) return false;
    *out = negative ? -value : value;
    return true;
  }

  bool readHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4 || !isHex(text_.substr(pos_, 4))) return false;
    *out = static_cast<uint32_t>(std::stoul(std::string(text_.substr(pos_, 4)), nullptr, 16));
    pos_ += 4;
    return true;
  }

  bool readString(std::string* out) {
    if (!consume('"')) return false;
    while (pos_ < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        *out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char escape = text_[pos_++];
      switch (escape) {
        case '"': case '\\': case '/': *out += escape; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          uint32_t code = 0;
          // Surrogates would need pairing; no field of ours needs them.
          if (!readHex4(&code) || (code >= 0xd800 && code <= 0xdfff)) return false;
          if (code < 0x80) {
            *out += static_cast<char>(code);
          } else if (code < 0x800) {
            *out += static_cast<char>(0xc0 | (code >> 6));
            *out += static_cast<char>(0x80 | (code & 0x3f));
          } else {
            *out += static_cast<char>(0xe0 | (code >> 12));
            *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            *out += static_cast<char>(0x80 | (code & 0x3f));
          }
          break;
        }
        default: return false;
      }
    }
    return false;  // unterminated
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string peerKeyId(std::string_view secret) {
  std::string input = "checker peer key v1\n";
  input += secret;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) != 1 || size < 8) return {};
  return hex(digest, 8);
}

bool validNonce(std::string_view text) {
  return text.size() >= kNonceHexMin && text.size() <= kNonceHexMax && isHex(text);
}

std::string signatureOf(std::string_view secret, const StatusDocument& document) {
  std::string signedBytes = "checker status v1\n";
  appendField(signedBytes, document.server);
  appendField(signedBytes, document.status);
  appendField(signedBytes, std::to_string(document.unixTime));
  appendField(signedBytes, document.nonce);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(signedBytes.data()), signedBytes.size(), mac, &size) == nullptr) {
    return {};
  }
  return hex(mac, size);
}

std::string signedStatusJson(std::string_view secret, StatusDocument document) {
  document.signature = signatureOf(secret, document);
  return "{\"server\":" + jsonString(document.server) + ",\"status\":" + jsonString(document.status) +
         ",\"time\":" + std::to_string(document.unixTime) + ",\"nonce\":" + jsonString(document.nonce) +
         ",\"signature\":" + jsonString(document.signature) + "}\n";
}

std::optional<StatusDocument> parseStatusJson(std::string_view text, std::string* error) {
  std::map<std::string, FlatJsonReader::Value> members;
  if (!FlatJsonReader(text).read(&members, error)) return std::nullopt;
  StatusDocument document;
  auto text_member = [&](const char* name, std::string* out) {
    auto it = members.find(name);
    if (it == members.end() || !it->second.isString) {
      *error = std::string("no string member \"") + name + "\"";
      return false;
    }
    *out = std::move(it->second.text);
    return true;
  };
  if (!text_member("server", &document.server) || !text_member("status", &document.status) ||
      !text_member("nonce", &document.nonce) || !text_member("signature", &document.signature)) {
    return std::nullopt;
  }
  auto time = members.find("time");
  if (time == members.end() || time->second.isString) {
    *error = "no integer member \"time\"";
    return std::nullopt;
  }
  document.unixTime = time->second.number;
  return document;
}

Verified verifyStatusAnswer(std::string_view body, std::string_view secret, std::string_view sentNonce,
                            int64_t nowUnixSeconds, int64_t windowSeconds) {
  Verified result;
  std::string error;
  std::optional<StatusDocument> document = parseStatusJson(body, &error);
  if (!document) {
    result.error = "not a status document (" + error + ")";
    return result;
  }
  // The signature first: a tampered field reads as what it is.
  std::string expected = signatureOf(secret, *document);
  if (expected.empty() || document->signature.size() != expected.size() ||
      CRYPTO_memcmp(expected.data(), document->signature.data(), expected.size()) != 0) {
    result.error = "signature does not match (a different secret, or the answer was altered)";
    return result;
  }
  if (document->nonce != sentNonce) {
    result.error = "the answer is for another request (nonce differs: replayed?)";
    return result;
  }
  int64_t skew = document->unixTime - nowUnixSeconds;
  if (skew > windowSeconds || -skew > windowSeconds) {
    result.error = "the answer's time is " + std::to_string(skew < 0 ? -skew : skew) + " s " +
                   (skew < 0 ? "behind" : "ahead of") + " ours (at most " + std::to_string(windowSeconds) +
                   " s allowed)";
    return result;
  }
  if (document->status != "True" && document->status != "MailProblem" && document->status != "JobProblem") {
    result.error = "signed status '" + document->status.substr(0, 40) + "' is not True, MailProblem or JobProblem";
    return result;
  }
  result.ok = true;
  result.status = document->status;
  result.server = document->server;
  return result;
}

}  // namespace checker::peerd
