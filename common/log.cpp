#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace checker::log {
namespace {

std::string g_program = "checker";
Level g_minimum = Level::info;

const char* levelName(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "?";
}

}  // namespace

void setProgram(const std::string& name) { g_program = name; }

Result<> setLogFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) return Error{describeErrno("open", path, errno)};
  // Onto stderr, so that the helper children, which inherit it
  // (checker-mailer, checker-peerd, the worker launcher), and whatever else
  // writes to stderr (a sanitizer report, abort()) land in the file too.
  if (::dup2(fd.get(), STDERR_FILENO) < 0) return Error{describeErrno("dup2", path, errno)};
  return {};
}

void setMinimumLevel(Level level) { g_minimum = level; }

void write(Level level, const char* format, ...) {
  if (level < g_minimum) return;
  int savedErrno = errno;
  char line[2048];
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  int used = std::snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: ",
                           utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                           utc.tm_min, utc.tm_sec, now.tv_nsec / 1000000, g_program.c_str(),
                           static_cast<int>(::getpid()), levelName(level));
  if (used < 0) used = 0;
  size_t length = static_cast<size_t>(used);
  if (length < sizeof line) {
    va_list args;
    va_start(args, format);
    int more = std::vsnprintf(line + length, sizeof line - length, format, args);
    va_end(args);
    if (more > 0) length += static_cast<size_t>(more);
  }
  if (length > sizeof line - 2) length = sizeof line - 2;  // truncated, still one line
  // One event, one line: fold embedded newlines so a message cannot forge lines.
  for (size_t i = 0; i < length; ++i) {
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  }
  line[length++] = '\n';
  // A single write() so lines from several processes on one fd do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line, length);
  (void)ignored;
  errno = savedErrno;
}

}  // namespace checker::log
