#pragma once
// "did you mean ...?" for a mistyped command: the known name nearest to
// what was typed, by edit distance.
#include <string>
#include <string_view>
#include <vector>

namespace checker::cli {

// Insertions, deletions, substitutions and swaps of two neighbouring
// characters, each counting one ("stauts" is one from "status").
size_t editDistance(std::string_view a, std::string_view b);

// The name in NAMES nearest to TYPED, when it is near enough to be what was
// meant (at most 2 edits, and fewer than half of TYPED's length); "" when
// none is. The first of equally near names wins.
std::string nearestName(std::string_view typed, const std::vector<std::string_view>& names);

}  // namespace checker::cli
