#pragma once
// Splits an exec job's `command` into argv without a shell, with the quoting
// a person expects from a shell line: 'single quotes' are literal,
// "double quotes" allow \" and \\, a backslash outside quotes escapes the
// next character. No expansion of any kind ($VAR, globs, ~) happens.
#include <string>
#include <string_view>
#include <vector>

namespace checker {

// Returns false and sets *error on unbalanced quotes or a trailing backslash.
bool splitCommandLine(std::string_view text, std::vector<std::string>& argv, std::string* error);

}  // namespace checker
