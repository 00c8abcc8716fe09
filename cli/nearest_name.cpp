#include "cli/nearest_name.h"

#include <algorithm>

namespace checker::cli {

size_t editDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: three rows of the dynamic-programming table.
  std::vector<size_t> twoBack(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], twoBack[j - 2] + 1);
      }
    }
    twoBack.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::string nearestName(std::string_view typed, const std::vector<std::string_view>& names) {
  size_t best = SIZE_MAX;
  std::string_view nearest;
  for (std::string_view name : names) {
    size_t distance = editDistance(typed, name);
    if (distance < best) {
      best = distance;
      nearest = name;
    }
  }
  // Far from everything (or so short that anything is near): no guess.
  if (best > 2 || best * 2 >= typed.size()) return "";
  return std::string(nearest);
}

}  // namespace checker::cli
