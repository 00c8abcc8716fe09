#pragma once
// Planned maintenance windows: the [maintenance NAME] sections of
// settings.cfg. While a window is active its jobs still run and record
// history; their notices are held (the supervisor's notice gate), and when
// it ends a job still failing gets one notice.
//
//   [maintenance NAME]
//   start = 2026-12-10 22:00   one-off: both, local times in `timezone`,
//   end   = 2026-12-11 01:30   start before end
//   days  = mon, tue, ...      weekly (or `daily`, or a range `mon-fri`):
//   from  = 22:00              each listed day from `from` to `to`; `to`
//   to    = 02:00              at or before `from` ends on the next day (the
//                              occurrence belongs to the day it starts);
//                              `to = 24:00` is the end of the day
//   timezone = Europe/Berlin   an IANA zone from the system's tzdata;
//                              default UTC
//   jobs = NAME, glob*, *      and/or  tags = TAG, ...  (config/job_selector.h)
//
// Local times and daylight saving time: a local time means the first
// instant at which the zone's clock shows that time or a later one. So a
// time inside the hour skipped in spring (02:30 in Europe/Berlin on the last
// Sunday of March) is the end of the gap (03:00 local); a time that occurs
// twice in autumn is its first occurrence (the earlier, summer-time one).
// A weekly occurrence that falls entirely inside a skipped hour does not
// happen that day; one spanning the autumn change lasts an hour longer.
//
// The time functions are pure (no clock): the caller passes the instant.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/job_selector.h"

namespace checker {

class SectionReader;

struct MaintenanceWindow {
  std::string name;
  int line = 0;                 // of the section header
  std::string timeZone = "UTC";
  bool weekly = false;
  // One-off: the instants, resolved from local times when read.
  int64_t startUnixMs = 0;
  int64_t endUnixMs = 0;
  // Weekly: bit d set for weekday d (0 Sunday ... 6 Saturday, as tm_wday).
  uint8_t days = 0;
  int fromMinute = 0;  // minutes after local midnight, 0..1439
  int toMinute = 0;    // 1..1440; at or before fromMinute: on the next day
  JobSelector selector;
  int jobsLine = 0;  // of `jobs` and `tags`, for warnings; 0 when absent
  int tagsLine = 0;
};

// Reads a [maintenance NAME] section; errors go through R (FILE:LINE). A
// window only when the section had no error.
std::optional<MaintenanceWindow> readMaintenanceSection(SectionReader& r, const std::string& name);

// Whether W is active at UNIX_MS (an occurrence's start is in, its end out).
bool maintenanceActive(const MaintenanceWindow& w, int64_t unixMs);
// The end of the occurrence active at UNIX_MS; an occurrence that the next
// one continues without a gap ends where the last of them ends (looked at
// up to about a year ahead). UNIX_MS itself when W is not active then.
int64_t maintenanceEndsAt(const MaintenanceWindow& w, int64_t unixMs);
// The next instant strictly after UNIX_MS at which W becomes active or
// stops being active; INT64_MAX when it never does again.
int64_t maintenanceNextChange(const MaintenanceWindow& w, int64_t unixMs);

// "2026-12-11 01:30 Europe/Berlin": UNIX_MS as ZONE's wall clock, to the
// minute (rounded down), with the zone's name. UTC when ZONE is unknown.
std::string formatLocalMinute(int64_t unixMs, const std::string& zone);

}  // namespace checker
