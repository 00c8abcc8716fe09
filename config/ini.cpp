#include "config/ini.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/utf8_text.h"

namespace checker {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (isBlank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (isBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Cuts an inline comment: `;` or `#` preceded by whitespace.
std::string_view stripInlineComment(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i] == ';' || s[i] == '#') && isBlank(s[i - 1])) return trim(s.substr(0, i));
  }
  return s;
}

// The offset of the first byte that is not UTF-8 text (an ill-formed
// sequence, or a control character other than tab), or npos: where the
// cleaned line first differs from the line (cleanLine keeps text as it is).
// Names and values reach logs, terminals, mail and JSON: a byte that is not
// text there is refused here, with its line, rather than mangled later.
size_t firstNonText(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF files
  std::string clean = cleanLine(line);
  if (clean == line) return std::string_view::npos;
  size_t i = 0;
  while (i < line.size() && i < clean.size() && line[i] == clean[i]) ++i;
  // U+FFFD ("\xef\xbf\xbd") can begin like the sequence it replaces
  // ("\xef\xbf" cut short), so the first difference may fall inside that
  // sequence or past the line's end: the bad byte is where the sequence
  // before the difference starts, when it reaches the difference.
  auto byteAt = [&](size_t at) { return static_cast<unsigned char>(line[at]); };
  size_t lead = i;
  for (int back = 0; back < 3 && lead > 0 && (byteAt(lead - 1) & 0xc0) == 0x80; ++back) --lead;
  if (lead > 0 && byteAt(lead - 1) >= 0xc0) {
    size_t length = byteAt(lead - 1) >= 0xf0 ? 4 : byteAt(lead - 1) >= 0xe0 ? 3 : 2;
    if (lead - 1 + length > i) return lead - 1;
  }
  return i < line.size() ? i : line.size() - 1;
}

std::string lowerCase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Diagnostic>& errors) : errors_(errors) {}

  IniDocument run(std::string_view text) {
    int lineNumber = 0;
    while (!text.empty()) {
      size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
      handleLine(line, ++lineNumber);
    }
    doc_.lineCount = lineNumber;
    return std::move(doc_);
  }

 private:
  void error(int line, std::string message) { errors_.push_back({line, std::move(message)}); }

  void handleLine(std::string_view raw, int line) {
    if (raw.find('\0') != std::string_view::npos) {
      error(line, "contains a NUL byte");
      lastEntry_ = nullptr;
      return;
    }
    std::string_view text = trim(raw);
    if (text.empty()) {
      lastEntry_ = nullptr;  // a blank line ends a multi-line value
      return;
    }
    if (text.front() == '#' || text.front() == ';') return;  // a comment may hold any bytes
    if (size_t bad = firstNonText(raw); bad != std::string_view::npos) {
      unsigned char byte = static_cast<unsigned char>(raw[bad]);
      unsigned char next = bad + 1 < raw.size() ? static_cast<unsigned char>(raw[bad + 1]) : 0;
      bool c1Control = byte == 0xc2 && next >= 0x80 && next <= 0x9f;  // U+0080-U+009F
      char what[48];
      if (byte < 0x80) std::snprintf(what, sizeof what, "a control character (0x%02x", byte);
      else if (c1Control) std::snprintf(what, sizeof what, "a control character (U+%04X", next);
      else std::snprintf(what, sizeof what, "not valid UTF-8 (byte 0x%02x", byte);
      error(line, std::string(what) + " at column " + std::to_string(bad + 1) +
                      "): names and values must be UTF-8 text");
      lastEntry_ = nullptr;
      if (text.front() == '[') {  // its keys belong to no section: drop them quietly
        current_ = nullptr;
        skippingRejected_ = true;
      }
      return;
    }
    if (isBlank(raw.front()) && lastEntry_ != nullptr) {
      lastEntry_->value += '\n';
      lastEntry_->value += stripInlineComment(text);
      return;
    }
    if (text.front() == '[') {
      handleSection(text, line);
    } else {
      handleEntry(text, line);
    }
  }

  void handleSection(std::string_view text, int line) {
    lastEntry_ = nullptr;
    size_t close = text.find(']');
    std::string_view rest = close == std::string_view::npos ? "" : trim(text.substr(close + 1));
    if (close == std::string_view::npos || !(rest.empty() || rest.front() == ';' || rest.front() == '#')) {
      error(line, "malformed section header: expected '[name]'");
      current_ = nullptr;
      return;
    }
    std::string name(trim(text.substr(1, close - 1)));
    if (name.empty()) {
      error(line, "empty section name '[]'");
      current_ = nullptr;
      return;
    }
    if (const IniSection* earlier = doc_.find(name)) {
      error(line, "duplicate section [" + name + "] (first at line " + std::to_string(earlier->line) + ")");
      current_ = nullptr;
      skippingRejected_ = true;
      return;
    }
    skippingRejected_ = false;
    doc_.sections.push_back(IniSection{name, line, {}});
    current_ = &doc_.sections.back();
  }

  void handleEntry(std::string_view text, int line) {
    lastEntry_ = nullptr;
    size_t split = text.find_first_of("=:");
    if (split == std::string_view::npos) {
      error(line, "expected 'key = value', '[section]' or a comment");
      return;
    }
    std::string key = lowerCase(trim(text.substr(0, split)));
    if (key.empty()) {
      error(line, "missing key before '" + std::string(1, text[split]) + "'");
      return;
    }
    if (current_ == nullptr) {
      // After a rejected section header the error is already reported.
      if (!skippingRejected_ && doc_.sections.empty()) error(line, "key '" + key + "' before any [section]");
      return;
    }
    if (const IniEntry* earlier = current_->find(key)) {
      error(line, "duplicate key '" + key + "' in [" + current_->name + "] (first at line " +
                      std::to_string(earlier->line) + ")");
      return;
    }
    std::string value(stripInlineComment(trim(text.substr(split + 1))));
    current_->entries.push_back(IniEntry{key, value, line});
    lastEntry_ = &current_->entries.back();
  }

  std::vector<Diagnostic>& errors_;
  IniDocument doc_;
  // Pointers into doc_: sections are only appended to doc_.sections while
  // current_ is replaced, and entries only to current_->entries while
  // lastEntry_ is replaced, so neither dangles.
  IniSection* current_ = nullptr;
  IniEntry* lastEntry_ = nullptr;
  bool skippingRejected_ = false;
};

}  // namespace

const IniEntry* IniSection::find(std::string_view key) const {
  for (const IniEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

const IniSection* IniDocument::find(std::string_view name) const {
  for (const IniSection& section : sections) {
    if (section.name == name) return &section;
  }
  return nullptr;
}

IniDocument parseIni(std::string_view text, std::vector<Diagnostic>& errors) {
  return Parser(errors).run(text);
}

}  // namespace checker
