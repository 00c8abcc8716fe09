#pragma once
// One line per event: "2026-11-24T22:41:07.123Z checkerd[123] info: job web: ok".
// Every process logs to stderr (journald under systemd); checkerd's
// setLogFile() for `[general] logfile` makes that file stderr, for its
// children too. Messages should name the job or peer they are about.
#include <string>

#include "common/result.h"

namespace checker::log {

enum class Level { debug, info, warning, error };

// Sets the program name shown in every line (e.g. "checkerd").
void setProgram(const std::string& name);
// Appends to PATH instead of stderr: PATH (O_APPEND, created 0640) becomes
// the process's stderr, so children started later that inherit stderr log
// there too. An error (and stderr kept) when the file cannot be opened.
// With O_APPEND, a rotation by copytruncate needs no reopen.
Result<> setLogFile(const std::string& path);
void setMinimumLevel(Level level);

void write(Level level, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define CHECKER_LOG_DEBUG(...) ::checker::log::write(::checker::log::Level::debug, __VA_ARGS__)
#define CHECKER_LOG_INFO(...) ::checker::log::write(::checker::log::Level::info, __VA_ARGS__)
#define CHECKER_LOG_WARN(...) ::checker::log::write(::checker::log::Level::warning, __VA_ARGS__)
#define CHECKER_LOG_ERROR(...) ::checker::log::write(::checker::log::Level::error, __VA_ARGS__)

}  // namespace checker::log
