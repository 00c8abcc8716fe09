#pragma once
// What peerd's HTML pages share (the overview, peerd/status_page.h, and a
// job's page, peerd/job_page.h): the head with the style sheet (light and
// dark, by prefers-color-scheme; readable on a phone), times and spans in
// words, state badges, and the footer. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace checker::peerd {

// <!DOCTYPE html> to <body>: TITLE (escaped here), and a refresh every
// REFRESH_SECONDS (0: none).
std::string pageHead(std::string_view title, int refreshSeconds);
// </main>, the footer (when the page was made, by which peerd on which
// instance, the supervisor's heartbeat) and the end of the page.
std::string pageFoot(std::string_view serverName, int64_t nowUnixMs, std::optional<int64_t> heartbeatAgeMs);

// "12 s", "5 min", "3 h", "2 d".
std::string span(int64_t ms);
// "2024-05-01 14:03:07 (3 min ago)", or "-" for 0.
std::string when(int64_t unixMs, int64_t nowMs);
// A badge of KIND ("ok", "failing", "other") saying TEXT (escaped here).
std::string badge(const char* kind, const std::string& text);
// "85 ms", "2.4 s".
std::string durationText(uint32_t ms);

}  // namespace checker::peerd
