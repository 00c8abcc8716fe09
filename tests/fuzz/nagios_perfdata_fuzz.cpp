// libFuzzer target: jobs/nagios_perfdata.h, an exec job reading a Nagios
// plugin's output (any bytes the plugin prints) for its performance data.
//
// What must hold, whatever the bytes:
//   - at most kMaxPerfdataItems measurements, each with a non-empty name
//     within its cap, free of control characters and given once, a finite
//     value, and unit, warn, crit, min, max within their cap;
//   - the text is one line, without '|', trimmed, and part of the input;
//   - what was read, written back as performance data (every label quoted,
//     the value with all its digits), reads back the same.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jobs/nagios_perfdata.h"

namespace {

using checker::JobMeasurement;
using checker::ParsedPluginOutput;

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "nagios_perfdata_fuzz: %s\n", what);
    std::abort();
  }
}

bool hasControl(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void checkMeasurement(const JobMeasurement& m) {
  require(!m.name.empty(), "an empty name");
  require(m.name.size() <= checker::kMaxPerfdataLabelBytes, "a name over the cap");
  require(!hasControl(m.name), "a control character in a name");
  require(std::isfinite(m.value), "a value that is not finite");
  for (const std::string* field : {&m.unit, &m.warn, &m.crit, &m.min, &m.max}) {
    require(field->size() <= checker::kMaxPerfdataFieldBytes, "a field over the cap");
    require(!hasControl(*field), "a control character in a field");
  }
}

// M as one perfdata item: the label always quoted (a quote doubled).
std::string item(const JobMeasurement& m) {
  std::string out = "'";
  for (char c : m.name) out += c == '\'' ? std::string("''") : std::string(1, c);
  char value[64];
  std::snprintf(value, sizeof value, "%.17g", m.value);
  return out + "'=" + value + m.unit + ";" + m.warn + ";" + m.crit + ";" + m.min + ";" + m.max;
}

bool same(const JobMeasurement& a, const JobMeasurement& b) {
  return a.name == b.name && a.value == b.value && a.unit == b.unit && a.warn == b.warn && a.crit == b.crit &&
         a.min == b.min && a.max == b.max;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ParsedPluginOutput parsed = checker::parseNagiosOutput(input);

  require(parsed.measurements.size() <= checker::kMaxPerfdataItems, "more measurements than the cap");
  for (size_t i = 0; i < parsed.measurements.size(); ++i) {
    checkMeasurement(parsed.measurements[i]);
    for (size_t j = 0; j < i; ++j) {
      require(parsed.measurements[j].name != parsed.measurements[i].name, "a name given twice");
    }
  }
  require(parsed.text.find_first_of("\n|") == std::string::npos, "a text of more than the message");
  require(parsed.text.empty() || (parsed.text.front() != ' ' && parsed.text.back() != ' '), "an untrimmed text");
  require(input.find(parsed.text) != std::string_view::npos, "a text that is not in the output");

  std::string written = "T |";
  for (const JobMeasurement& m : parsed.measurements) written += " " + item(m);
  ParsedPluginOutput again = checker::parseNagiosOutput(written);
  require(again.text == "T", "the written text reads back otherwise");
  require(again.measurements.size() == parsed.measurements.size(), "written measurements read back fewer");
  for (size_t i = 0; i < again.measurements.size(); ++i) {
    require(same(again.measurements[i], parsed.measurements[i]), "a written measurement reads back otherwise");
  }
  return 0;
}
