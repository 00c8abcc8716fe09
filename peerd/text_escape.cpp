#include "peerd/text_escape.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace checker::peerd {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Bytes of the valid UTF-8 sequence at the start of S, 0 when there is none.
size_t sequenceLength(std::string_view s) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = at(0);
  if (c < 0x80) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if (!continuation(at(i))) return 0;
  }
  // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
  if (c == 0xE0 && at(1) < 0xA0) return 0;
  if (c == 0xED && at(1) > 0x9F) return 0;
  if (c == 0xF0 && at(1) < 0x90) return 0;
  if (c == 0xF4 && at(1) > 0x8F) return 0;
  return n;
}

}  // namespace

std::string cleanUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t n = sequenceLength(text);
    unsigned char c = static_cast<unsigned char>(text[0]);
    if (n == 0 || (n == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F))) {
      out += kReplacement;
      text.remove_prefix(1);
      continue;
    }
    out.append(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

std::string shortened(std::string_view text, size_t maxBytes) {
  if (text.size() <= maxBytes) return std::string(text);
  size_t cut = maxBytes;
  while (cut > 0 && continuation(static_cast<unsigned char>(text[cut]))) --cut;
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";  // …
}

std::string htmlEscape(std::string_view text) {
  std::string clean = cleanUtf8(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string promLabelValue(std::string_view text) {
  std::string clean = cleanUtf8(text);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string promHelpText(std::string_view text) {
  std::string out;
  for (char c : cleanUtf8(text)) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string promNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {  // 2^53: exact as an integer
    return std::to_string(static_cast<int64_t>(value));
  }
  char text[64];
  auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

std::string promNumber(uint64_t value) { return std::to_string(value); }

}  // namespace checker::peerd
