#pragma once
// Text from the state and the config (job names, messages, URLs, mail
// subjects: anything a job's output or an operator wrote) on its way into
// peerd's HTML page and Prometheus text. None of it is trusted to be valid
// UTF-8 or free of markup.
#include <cstddef>
#include <string>
#include <string_view>

namespace checker::peerd {

// TEXT as valid UTF-8: each ill-formed sequence (overlong, surrogate, cut
// short: one per maximal subpart, common/utf8_text.h) and each control
// character but tab, newline and carriage return (C0 and DEL) becomes U+FFFD.
std::string cleanUtf8(std::string_view text);

// At most MAX_BYTES of TEXT, cut at a character boundary, with "…" when cut.
std::string shortened(std::string_view text, size_t maxBytes);

// For HTML text and attribute values: cleanUtf8, then & < > " ' as
// character references.
std::string htmlEscape(std::string_view text);

// For a Prometheus label value (between its double quotes): cleanUtf8, then
// \ " and newline as \\ \" \n, as the text format 0.0.4 requires.
std::string promLabelValue(std::string_view text);
// For a Prometheus HELP line: \ and newline as \\ and \n.
std::string promHelpText(std::string_view text);
// A sample value as the text format writes it: integers exactly, other
// numbers in the shortest form that reads back the same, +Inf, -Inf, NaN.
std::string promNumber(double value);
std::string promNumber(uint64_t value);

}  // namespace checker::peerd
