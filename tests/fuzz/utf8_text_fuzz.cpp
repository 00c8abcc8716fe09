// libFuzzer target: common/utf8_text.h, the cleaning every text from a job
// or a peer goes through before checkerd keeps it. The first two bytes pick
// the cap (0..1023 bytes, or none when both are 0xFF) and the third the
// rules; the rest is the text.
//
// What must hold, whatever the bytes:
//   - the result is valid UTF-8 (judged by nlohmann::json's reader, a
//     decoder that shares no code with the one under test);
//   - it has no control character but tab (and line feed with
//     keepLineBreaks; any with keepControls);
//   - it is at most the cap, and a prefix of the uncapped result (cut only
//     between two code points or escapes);
//   - text that is valid UTF-8 without controls comes out unchanged when it
//     fits the cap;
//   - cleaning is idempotent: clean text is a fixed point.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/utf8_text.h"
#include "../support/utf8_check.h"

namespace {

using checker::cleanText;
using checker::TextRules;

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "utf8_text_fuzz: %s\n", what);
    std::abort();
  }
}

bool validUtf8(std::string_view text) { return checker::test::validUtf8ByJsonReader(text); }

// Control characters in valid UTF-8 TEXT: C0 and DEL are single bytes, C1
// code points are C2 80..C2 9F.
bool hasControl(std::string_view text, bool tabAndLineFeedAllowed, bool lineFeedAllowed) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\t' && tabAndLineFeedAllowed) continue;
    if (c == '\n' && lineFeedAllowed) continue;
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t cap = data[0] == 0xFF && data[1] == 0xFF ? SIZE_MAX : ((data[0] << 8) | data[1]) % 1024;
  TextRules rules{cap, (data[2] & 1) != 0, (data[2] & 2) != 0};
  std::string_view raw(reinterpret_cast<const char*>(data) + 3, size - 3);

  std::string out = cleanText(raw, rules);
  require(validUtf8(out), "the result is not valid UTF-8");
  require(rules.keepControls || !hasControl(out, true, rules.keepLineBreaks), "a control character is left");
  require(out.size() <= cap, "the result is longer than the cap");
  TextRules uncapped = rules;
  uncapped.maxBytes = SIZE_MAX;
  std::string whole = cleanText(raw, uncapped);
  require(whole.compare(0, out.size(), out) == 0, "the capped result is not a prefix of the whole one");
  require(out.size() == whole.size() || out.size() + 4 > cap, "cut earlier than a code point or an escape needed");
  if (validUtf8(raw) && !hasControl(raw, true, false) && raw.size() <= cap) {
    require(out == raw, "clean text was changed");
  }
  require(cleanText(out, rules) == out, "cleaning clean text changed it");
  return 0;
}
