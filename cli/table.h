#pragma once
// An aligned text table for people, as `checker status` prints it:
//
//   JOB    STATE      FAILS  LAST RUN  FAILING SINCE        MESSAGE
//   web    failing        3  4s ago    2026-11-24 21:40:07  HTTP 503
//
// Columns are two spaces apart and as wide as their widest cell; numbers can
// be right-aligned. Colour wraps a cell after it was padded, so escapes never
// upset the alignment. With a width (a terminal), the last column is cut to
// fit it; without one (a pipe), nothing is cut.
#include <string>
#include <vector>

#include "cli/terminal.h"

namespace checker::cli {

struct Cell {
  std::string text;
  Style style = Style::plain;
};

struct Column {
  std::string header;
  bool alignRight = false;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // One cell per column; missing cells are empty. Control characters (a
  // newline in a message) become spaces: one row, one line.
  void add(std::vector<Cell> row) {
    for (Cell& cell : row) cell.text = oneLine(cell.text);
    rows_.push_back(std::move(row));
  }
  bool empty() const { return rows_.empty(); }

  // The header line and one line per row, each ending in "\n"; trailing
  // spaces trimmed.
  std::string render(const TerminalOutput& out) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

}  // namespace checker::cli
