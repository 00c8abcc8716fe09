#pragma once
// Whether TEXT is valid UTF-8, judged by a decoder that is not ours
// (nlohmann's JSON reader): TEXT as a JSON string, with the characters JSON
// does not take raw (controls, '"', '\\') escaped first. For the tests and
// the fuzz target that check common/utf8_text against an independent view.
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace checker::test {

inline bool validUtf8ByJsonReader(std::string_view text) {
  std::string quoted = "\"";
  for (unsigned char c : text) {
    if (c < 0x20 || c == '"' || c == '\\') {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", c);
      quoted += escape;
    } else {
      quoted += static_cast<char>(c);
    }
  }
  quoted += '"';
  return nlohmann::json::accept(quoted);
}

}  // namespace checker::test
