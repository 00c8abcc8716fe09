// Nagios performance data (jobs/nagios_perfdata.h). One pass, forward
// only: every scan starts where the previous one stopped, so the work is
// linear in the output whatever it holds.
//
// What is read, and why:
//   - value, min, max: [+-]digits[.digits][e[+-]digits] (or .digits), at
//     most kMaxNumberChars, finite: no "nan", "inf", hex or 1e999, so a
//     value is a number every reader agrees on;
//   - UOM: the guidelines' us ms s % B KB MB GB TB c, or any other short
//     text of letters, '%', '/' and non-ASCII characters (°C, dBm, rpm,
//     KiB, ns: units plugins do print, and Icinga and PNP4Nagios keep);
//     anything else after the number (',' as in "rta=0.80,", digits,
//     punctuation) makes the item malformed;
//   - warn, crit: a Nagios range ([@][start:][end], start "~" for minus
//     infinity), kept as written; a field that is not one is left empty
//     and the value is still kept, as it is for a min or max that is not
//     a number: a bad threshold does not make the measurement wrong;
//   - skipped: an item with no '=', an empty label or one with a control
//     character or (unquoted) a quote, a label seen before, a value "U"
//     (undetermined) or not a number, a bad unit, more than five fields.
//     A quote that is never closed ends that section's data, since where
//     its label ends cannot be told.
#include "jobs/nagios_perfdata.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "common/utf8_text.h"

namespace checker {
namespace {

// Longer numbers are not plugin output; the bound keeps from_chars cheap.
constexpr size_t kMaxNumberChars = 64;
constexpr std::string_view kSpaces = " \t\r\n\v\f";

bool isSpace(char c) { return kSpaces.find(c) != std::string_view::npos; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

size_t skipDigits(std::string_view s, size_t at) {
  while (at < s.size() && isDigit(s[at])) ++at;
  return at;
}

// The length of the number at the start of S, 0 when there is none.
size_t numberLength(std::string_view s) {
  size_t at = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  size_t intEnd = skipDigits(s, at);
  size_t end = intEnd;
  if (end < s.size() && s[end] == '.') end = skipDigits(s, end + 1);
  if (end - at - (end > intEnd ? 1 : 0) == 0) return 0;  // no digit at all
  if (end < s.size() && (s[end] == 'e' || s[end] == 'E')) {
    size_t exp = end + 1;
    if (exp < s.size() && (s[exp] == '+' || s[exp] == '-')) ++exp;
    size_t expEnd = skipDigits(s, exp);
    if (expEnd > exp) end = expEnd;  // "1e" is 1 with the unit "e"
  }
  return end;
}

// TEXT as a whole as a finite number.
std::optional<double> number(std::string_view text) {
  if (text.empty() || text.size() > kMaxNumberChars || numberLength(text) != text.size()) return std::nullopt;
  if (text[0] == '+') text.remove_prefix(1);  // from_chars takes no '+'
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// [@][start:][end]: "10", "10:", "~:10", "10:20", "@10:20".
bool isRange(std::string_view text) {
  if (text.size() > kMaxPerfdataFieldBytes) return false;
  if (!text.empty() && text[0] == '@') text.remove_prefix(1);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return number(text).has_value();
  std::string_view start = text.substr(0, colon);
  std::string_view end = text.substr(colon + 1);
  if (start.empty() && end.empty()) return false;
  bool startOk = start.empty() || start == "~" || number(start);
  return startOk && (end.empty() || number(end));
}

bool isUnit(std::string_view unit) {
  if (unit.size() > kMaxPerfdataFieldBytes) return false;
  for (std::string_view known : {"us", "ms", "s", "%", "B", "KB", "MB", "GB", "TB", "c"}) {
    if (unit == known) return true;
  }
  for (char c : unit) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter && c != '%' && c != '/' && static_cast<unsigned char>(c) < 0x80) return false;
  }
  return cleanLine(unit) == unit;  // valid UTF-8, no C1 control
}

std::string fieldIf(std::string_view field, bool valid) { return valid ? std::string(field) : std::string(); }

// value[UOM];[warn];[crit];[min];[max] into M; false when the item is to be skipped.
bool readFields(std::string_view data, JobMeasurement& m) {
  std::string_view fields[5];
  size_t count = 0;
  for (size_t at = 0;; ++count) {
    size_t semi = data.find(';', at);
    if (count == 5) return false;  // a sixth field: not this format
    fields[count] = data.substr(at, semi == std::string_view::npos ? std::string_view::npos : semi - at);
    if (semi == std::string_view::npos) break;
    at = semi + 1;
  }
  size_t length = numberLength(fields[0]);
  std::optional<double> value = number(fields[0].substr(0, length));
  std::string_view unit = fields[0].substr(length);
  if (!value || (!unit.empty() && !isUnit(unit))) return false;  // also "U": undetermined
  m.value = *value;
  m.unit = std::string(unit);
  m.warn = fieldIf(fields[1], isRange(fields[1]));
  m.crit = fieldIf(fields[2], isRange(fields[2]));
  m.min = fieldIf(fields[3], fields[3].size() <= kMaxPerfdataFieldBytes && number(fields[3]));
  m.max = fieldIf(fields[4], fields[4].size() <= kMaxPerfdataFieldBytes && number(fields[4]));
  return true;
}

// The label quoted at DATA[AT] ('' for a quote); AT ends past the closing
// quote. nullopt when the quote is never closed. TOO_LONG when it exceeds
// the cap (the text is then not kept).
std::optional<std::string> quotedLabel(std::string_view data, size_t& at, bool& tooLong) {
  std::string label;
  for (size_t from = at + 1;;) {
    size_t quote = data.find('\'', from);
    if (quote == std::string_view::npos) return std::nullopt;
    bool doubled = quote + 1 < data.size() && data[quote + 1] == '\'';
    tooLong = tooLong || label.size() + (quote - from) + (doubled ? 1 : 0) > kMaxPerfdataLabelBytes;
    if (!tooLong) label.append(data.substr(from, quote - from)).append(doubled ? "'" : "");
    if (!doubled) {
      at = quote + 1;
      return label;
    }
    from = quote + 2;
  }
}

bool validLabel(std::string_view label, bool quoted) {
  if (label.empty() || label.size() > kMaxPerfdataLabelBytes) return false;
  for (char c : label) {
    if (isControl(c) || (!quoted && c == '\'')) return false;
  }
  return true;
}

bool seen(const std::vector<JobMeasurement>& measured, const std::string& name) {
  for (const JobMeasurement& m : measured) {
    if (m.name == name) return true;
  }
  return false;
}

// Reads the items of DATA (one section's perfdata) into MEASURED, up to the cap.
void readItems(std::string_view data, std::vector<JobMeasurement>& measured) {
  size_t at = 0;
  while (measured.size() < kMaxPerfdataItems) {
    while (at < data.size() && isSpace(data[at])) ++at;
    if (at == data.size()) return;
    std::string label;
    bool quoted = data[at] == '\'';
    bool tooLong = false;
    if (quoted) {
      std::optional<std::string> text = quotedLabel(data, at, tooLong);
      if (!text) return;
      label = std::move(*text);
    } else {
      size_t end = at;  // to '=' or a space, not data.find('='): that could scan past many items
      while (end < data.size() && data[end] != '=' && !isSpace(data[end])) ++end;
      tooLong = end - at > kMaxPerfdataLabelBytes;
      if (!tooLong) label = std::string(data.substr(at, end - at));
      at = end;
    }
    size_t end = std::min(data.find_first_of(kSpaces, at), data.size());
    bool hasValue = at < end && data[at] == '=';
    std::string_view fields = hasValue ? data.substr(at + 1, end - at - 1) : std::string_view();
    at = end;
    if (!hasValue || tooLong || !validLabel(label, quoted) || seen(measured, label)) continue;
    JobMeasurement m;
    m.name = std::move(label);
    if (readFields(fields, m)) measured.push_back(std::move(m));
  }
}

std::string_view trimmed(std::string_view text) {
  size_t first = text.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
}

}  // namespace

ParsedPluginOutput parseNagiosOutput(std::string_view output) {
  ParsedPluginOutput parsed;
  size_t newline = output.find('\n');
  std::string_view first = output.substr(0, newline);
  size_t bar = first.find('|');
  parsed.text = std::string(trimmed(first.substr(0, bar)));
  if (bar != std::string_view::npos) readItems(first.substr(bar + 1), parsed.measurements);
  if (newline != std::string_view::npos) {
    std::string_view longText = output.substr(newline + 1);
    size_t longBar = longText.find('|');
    if (longBar != std::string_view::npos) readItems(longText.substr(longBar + 1), parsed.measurements);
  }
  return parsed;
}

}  // namespace checker
