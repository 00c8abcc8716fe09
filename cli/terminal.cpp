#include "cli/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

namespace checker::cli {

TerminalOutput detectTerminal(int fd) {
  TerminalOutput out;
  if (::isatty(fd) != 1) return out;
  const char* noColour = std::getenv("NO_COLOR");
  out.colour = noColour == nullptr || *noColour == '\0';
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    out.width = size.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS"); columns != nullptr && std::atoi(columns) > 0) {
    out.width = static_cast<size_t>(std::atoi(columns));
  } else {
    out.width = 80;
  }
  return out;
}

std::string paint(std::string_view text, Style style, bool colour) {
  const char* start = nullptr;
  switch (style) {
    case Style::plain: break;
    case Style::good: start = "\x1b[32m"; break;
    case Style::bad: start = "\x1b[31m"; break;
    case Style::dim: start = "\x1b[2m"; break;
  }
  if (!colour || start == nullptr || text.empty()) return std::string(text);
  return start + std::string(text) + "\x1b[0m";
}

namespace {
bool continuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

size_t displayWidth(std::string_view text) {
  size_t width = 0;
  for (char c : text) {
    if (!continuationByte(c)) ++width;
  }
  return width;
}

std::string truncateToWidth(std::string_view text, size_t width) {
  if (displayWidth(text) <= width) return std::string(text);
  constexpr std::string_view kEllipsis = "...";
  if (width <= kEllipsis.size()) return std::string(kEllipsis.substr(0, width));
  size_t keep = width - kEllipsis.size(), columns = 0, end = 0;
  for (; end < text.size(); ++end) {
    if (!continuationByte(text[end]) && columns++ == keep) break;
  }
  return std::string(text.substr(0, end)) + std::string(kEllipsis);
}

std::string oneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

}  // namespace checker::cli
