#include "cli/table.h"

#include <algorithm>

namespace checker::cli {
namespace {

constexpr size_t kGap = 2;

}  // namespace

std::string Table::render(const TerminalOutput& out) const {
  const size_t count = columns_.size();
  std::vector<size_t> widths(count, 0);
  for (size_t c = 0; c < count; ++c) widths[c] = displayWidth(columns_[c].header);
  for (const std::vector<Cell>& row : rows_) {
    for (size_t c = 0; c < count && c < row.size(); ++c) widths[c] = std::max(widths[c], displayWidth(row[c].text));
  }
  auto line = [&](auto cellAt) {
    std::string text;
    size_t used = 0;  // columns written so far
    for (size_t c = 0; c < count; ++c) {
      Cell cell = cellAt(c);
      if (c > 0) {
        text.append(kGap, ' ');
        used += kGap;
      }
      bool last = c + 1 == count;
      if (last && out.width > 0) cell.text = truncateToWidth(cell.text, out.width > used ? out.width - used : 0);
      size_t shown = displayWidth(cell.text);
      // Padding outside the colour; none after the last column.
      std::string fill(last && !columns_[c].alignRight ? 0 : widths[c] - std::min(widths[c], shown), ' ');
      std::string painted = paint(cell.text, cell.style, out.colour);
      text += columns_[c].alignRight ? fill + painted : painted + fill;
      used += shown + fill.size();
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + "\n";
  };
  std::string result = line([&](size_t c) { return Cell{columns_[c].header, Style::plain}; });
  for (const std::vector<Cell>& row : rows_) {
    result += line([&](size_t c) { return c < row.size() ? row[c] : Cell{}; });
  }
  return result;
}

}  // namespace checker::cli
