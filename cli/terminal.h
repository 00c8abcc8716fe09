#pragma once
// How the checker command writes for people: colour and the terminal's width
// when stdout is a terminal, neither when it is a pipe or a file (scripts,
// tests, `| less`). NO_COLOR (https://no-color.org/), when set and not empty,
// turns colour off; the width still applies.
#include <cstddef>
#include <string>
#include <string_view>

namespace checker::cli {

struct TerminalOutput {
  bool colour = false;
  size_t width = 0;  // columns to fit lines into; 0: no limit (not a terminal)
};

// For FD (stdout): isatty, NO_COLOR, and the width from TIOCGWINSZ, else
// $COLUMNS, else 80.
TerminalOutput detectTerminal(int fd);

enum class Style {
  plain,
  good,  // green: ok, healthy
  bad,   // red: failing, a problem
  dim,   // faint: never run, not asked yet
};

// TEXT between the style's SGR escape and a reset when COLOUR, else TEXT.
std::string paint(std::string_view text, Style style, bool colour);

// Columns TEXT takes on a terminal: UTF-8 code points (each counted as one
// column; wide characters are not told apart).
size_t displayWidth(std::string_view text);

// TEXT cut to at most WIDTH columns, ending in "..." when cut; never inside
// a UTF-8 sequence.
std::string truncateToWidth(std::string_view text, size_t width);

// Control characters (a newline in a job's message) as spaces, so one
// entry stays one line.
std::string oneLine(std::string_view text);

}  // namespace checker::cli
