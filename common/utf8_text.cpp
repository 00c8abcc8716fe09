#include "common/utf8_text.h"

namespace checker {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// What starts at the front of TEXT: LENGTH bytes that are one code point
// (valid) or the maximal subpart of an ill-formed sequence (not valid).
struct Sequence {
  size_t length = 1;
  bool valid = false;
  uint32_t codePoint = 0;
};

// Unicode 15, table 3-7 (well-formed UTF-8 byte sequences): the lead byte
// fixes the length and the range of the second byte; later bytes are
// 80..BF.
Sequence nextSequence(std::string_view text) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = at(0);
  if (lead < 0x80) return {1, true, lead};
  size_t need;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) need = 1;
  else if (lead == 0xE0) need = 2, low = 0xA0;         // no overlong forms
  else if (lead == 0xED) need = 2, high = 0x9F;        // no surrogates
  else if (lead >= 0xE1 && lead <= 0xEF) need = 2;
  else if (lead == 0xF0) need = 3, low = 0x90;         // no overlong forms
  else if (lead >= 0xF1 && lead <= 0xF3) need = 3;
  else if (lead == 0xF4) need = 3, high = 0x8F;        // nothing above U+10FFFF
  else return {1, false, 0};                           // C0, C1, F5..FF, 80..BF
  uint32_t codePoint = lead & (0x3F >> need);
  for (size_t i = 1; i <= need; ++i) {
    if (i >= text.size() || at(i) < low || at(i) > high) return {i, false, 0};
    codePoint = (codePoint << 6) | (at(i) & 0x3F);
    low = 0x80, high = 0xBF;
  }
  return {need + 1, true, codePoint};
}

bool isControl(uint32_t codePoint) { return codePoint < 0x20 || (codePoint >= 0x7F && codePoint <= 0x9F); }

std::string escaped(uint32_t codePoint) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {'\\', 'x', kHex[codePoint >> 4], kHex[codePoint & 15]};
}

}  // namespace

std::string cleanText(std::string_view raw, const TextRules& rules) {
  std::string out;
  out.reserve(raw.size() < rules.maxBytes ? raw.size() : rules.maxBytes);
  // Appends PIECE whole, or nothing and reports that the cap is reached.
  auto add = [&](std::string_view piece) {
    if (piece.size() > rules.maxBytes - out.size()) return false;
    out.append(piece);
    return true;
  };
  size_t i = 0;
  while (i < raw.size()) {
    // A run of printable ASCII, the common case, in one piece.
    size_t plain = i;
    while (plain < raw.size() && raw[plain] >= 0x20 && raw[plain] < 0x7F) ++plain;
    if (plain > i) {
      size_t room = rules.maxBytes - out.size();
      if (plain - i > room) return out.append(raw.substr(i, room)), out;
      out.append(raw.substr(i, plain - i));
      i = plain;
      continue;
    }
    Sequence s = nextSequence(raw.substr(i));
    bool fits;
    if (!s.valid) {
      fits = add(kReplacement);
    } else if (rules.keepControls || !isControl(s.codePoint) || s.codePoint == '\t') {
      fits = add(raw.substr(i, s.length));
    } else if (rules.keepLineBreaks && s.codePoint == '\n') {
      fits = add("\n");
    } else if (rules.keepLineBreaks && s.codePoint == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') {
      fits = true;  // the '\n' that follows is the line break
    } else {
      fits = add(escaped(s.codePoint));
    }
    if (!fits) break;
    i += s.length;
  }
  return out;
}

size_t utf8CutAt(std::string_view text, size_t maxBytes) {
  if (text.size() <= maxBytes) return text.size();
  size_t cut = maxBytes;
  for (int back = 0; back < 3 && cut > 0 && continuation(static_cast<unsigned char>(text[cut])); ++back) --cut;
  return cut;
}

}  // namespace checker
