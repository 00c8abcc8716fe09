#include "config/command_line.h"

namespace checker {

Result<std::vector<std::string>> splitCommandLine(std::string_view text) {
  std::vector<std::string> argv;
  std::string word;
  bool inWord = false;
  char quote = 0;  // ' or " while inside quotes
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else word += c;
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (inWord) argv.push_back(std::move(word));
      word.clear();
      inWord = false;
    } else if (c == '\'' || c == '"') {
      quote = c;
      inWord = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return Error{"trailing backslash in command"};
      word += text[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote != 0) return Error{std::string("unbalanced ") + quote + " quote in command"};
  if (inWord) argv.push_back(std::move(word));
  return argv;
}

}  // namespace checker
