#pragma once
// A Nagios plugin's output read as the Monitoring Plugins Development
// Guidelines describe it, so an exec job can keep what the plugin measured:
//
//   TEXT | PERFDATA                 the first line: the message, then data
//   LONG TEXT ...                   further lines a person reads
//   LONG TEXT | PERFDATA            from the first '|' of the long text on,
//   PERFDATA                        everything is data, over several lines
//
// PERFDATA is a list of items separated by whitespace, each
//   'label'=value[UOM];[warn];[crit];[min];[max]
// (quotes needed only when the label has spaces, '=' or a quote, which is
// written ''; trailing empty fields may be left out; value "U" means the
// plugin could not tell). The output is the plugin's: any bytes, any size.
// Nothing here fails: a malformed item is skipped and the next one read,
// reading stops after kMaxPerfdataItems items, and the work is linear in
// the input.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job_base.h"

namespace checker {

// At most this many items are read (the supervisor keeps as many per run,
// state/run_measurements.h); a label longer than kMaxPerfdataLabelBytes or
// a unit, range or bound longer than kMaxPerfdataFieldBytes is not read,
// since the supervisor would cut it (and two cut labels could collide).
inline constexpr size_t kMaxPerfdataItems = 32;
inline constexpr size_t kMaxPerfdataLabelBytes = 64;
inline constexpr size_t kMaxPerfdataFieldBytes = 32;

struct ParsedPluginOutput {
  // The first line before its '|', without surrounding whitespace (not
  // capped and not cleaned: the caller makes it a message).
  std::string text;
  // In the order written; each name non-empty and given once (a later item
  // with the same label is skipped), each value finite. unit is the UOM as
  // written; warn and crit are Nagios ranges and min and max numbers, as
  // written, or "" when absent or not one.
  std::vector<JobMeasurement> measurements;
};

ParsedPluginOutput parseNagiosOutput(std::string_view output);

}  // namespace checker
