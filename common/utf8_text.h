#pragma once
// Text that comes from a job (its message, its notices, its stderr) or from
// a peer, made fit for everything downstream: JSON, HTML, mail, a terminal.
//
//   - every ill-formed UTF-8 sequence becomes U+FFFD, one per maximal
//     subpart (Unicode 15, 3.9 "U+FFFD Substitution of Maximal Subparts",
//     as Python, ICU and browsers do): overlong forms, surrogates, code
//     points above U+10FFFF, stray continuation bytes, cut sequences;
//   - every control character (general category Cc: U+0000-U+001F, U+007F,
//     U+0080-U+009F) but tab is written as the four ASCII characters
//     `\xNN` (NN: two lowercase hex digits of the code point), so an ANSI
//     colour code shows as `\x1b[31m` rather than repainting a terminal or
//     vanishing; with keepLineBreaks, '\n' stays and "\r\n" becomes '\n';
//   - at most maxBytes bytes come out, cut only between two code points
//     and never inside an escape: the result is always a prefix of the
//     uncut result.
// Text that is valid UTF-8 without controls (and shorter than the cap)
// comes out unchanged. Format characters (bidi overrides, zero-width
// spaces) are valid text and are left alone.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace checker {

struct TextRules {
  size_t maxBytes = SIZE_MAX;   // of the result
  bool keepLineBreaks = false;  // '\n' kept ("\r\n" as '\n'); else escaped
  bool keepControls = false;    // only make it valid UTF-8 (the caller
                                // treats controls itself)
};

std::string cleanText(std::string_view raw, const TextRules& rules);

// One line (a message, a subject): no line break can be in the result.
inline std::string cleanLine(std::string_view raw, size_t maxBytes = SIZE_MAX) {
  return cleanText(raw, TextRules{maxBytes, false, false});
}
// Several lines (a notice's body).
inline std::string cleanLines(std::string_view raw, size_t maxBytes = SIZE_MAX) {
  return cleanText(raw, TextRules{maxBytes, true, false});
}
// Only the invalid sequences replaced; controls and lengths as they were.
inline std::string validUtf8(std::string_view raw) { return cleanText(raw, TextRules{SIZE_MAX, false, true}); }

// The largest n <= maxBytes that does not split a UTF-8 sequence of TEXT
// (backs up over at most three continuation bytes): where to cut valid
// UTF-8 to fit maxBytes.
size_t utf8CutAt(std::string_view text, size_t maxBytes);

}  // namespace checker
