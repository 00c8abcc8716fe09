#pragma once
// The JSON the CLI prints (`checker status --json`, `peers --json`,
// `run-job --json`), made with nlohmann::json and laid out as it always
// was: one line, `"key": value` with ", " between members (scripts and
// tests match on that), and the arrays named by the caller with one element
// per line. nlohmann::json writes every string and number; a string that
// is not valid UTF-8 (text should have been cleaned where it entered, see
// common/utf8_text.h) has its bad bytes written as U+FFFD rather than
// making the whole document unreadable.
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace checker {

// Objects keep their keys in the order they were set.
using Json = nlohmann::ordered_json;

// VALUE as text, without a final newline. An array that is the value of a
// key in ONE_PER_LINE (at any depth) is written "[\n  A,\n  B\n]".
std::string jsonText(const Json& value, std::initializer_list<std::string_view> onePerLine = {});

}  // namespace checker
