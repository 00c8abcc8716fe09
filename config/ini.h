#pragma once
// A strict INI reader with line numbers, close to Python's configparser as
// the original Checker used it:
//   [section]              section names are case-sensitive, trimmed
//   key = value            or `key: value`; keys are lower-cased, trimmed
//   # comment, ; comment   whole-line comments
//   key = value ; note     an inline comment needs whitespace before `;`
//     more                 an indented line continues the previous value
//                          (joined with "\n")
// Duplicate sections and duplicate keys within a section are errors, as in
// configparser's strict mode. Keys before any section are errors. Section
// names, keys and values must be UTF-8 text without control characters
// (tab allowed); comments may hold any bytes.
#include <string>
#include <string_view>
#include <vector>

namespace checker {

struct Diagnostic {
  int line = 0;  // 1-based; 0 when the problem is the whole file
  std::string message;
};

struct IniEntry {
  std::string key;
  std::string value;
  int line = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
  std::vector<IniEntry> entries;

  const IniEntry* find(std::string_view key) const;
};

struct IniDocument {
  std::vector<IniSection> sections;
  int lineCount = 0;

  const IniSection* find(std::string_view name) const;
};

// Parses TEXT; every problem found is appended to ERRORS (parsing goes on
// after an error so that one run reports them all).
IniDocument parseIni(std::string_view text, std::vector<Diagnostic>& errors);

}  // namespace checker
