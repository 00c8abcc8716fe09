#pragma once
// Splits an exec job's `command` into argv without a shell, with the quoting
// a person expects from a shell line: 'single quotes' are literal,
// "double quotes" allow \" and \\, a backslash outside quotes escapes the
// next character. No expansion of any kind ($VAR, globs, ~) happens.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace checker {

// The words of TEXT, or an Error on unbalanced quotes or a trailing backslash.
Result<std::vector<std::string>> splitCommandLine(std::string_view text);

}  // namespace checker
