#include "config/maintenance.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <string_view>

#include "config/config_section.h"
#include "config/config_values.h"

namespace checker {
namespace {

using Minutes = std::chrono::minutes;
using LocalMinute = date::local_time<Minutes>;
using SysMs = date::sys_time<std::chrono::milliseconds>;

// Occurrences looked at around an instant: the two days before (an
// occurrence that wraps past midnight, stretched by a DST change) and,
// for the next change, the week after.
constexpr int kDaysBefore = 2;
constexpr int kDaysAfter = 8;
// maintenanceEndsAt follows back-to-back occurrences this far at most.
constexpr int kMaxChainedOccurrences = 400;

// ZONE, or nullptr when the system's tzdata has no such zone.
const date::time_zone* findZone(const std::string& zone) {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The first instant at which ZONE's clock shows LOCAL or later (see the
// header: a skipped time is the end of the gap, a repeated one its first).
int64_t toUnixMs(const date::time_zone& zone, LocalMinute local) {
  auto sys = zone.to_sys(local, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
}

date::local_days localDayOf(const date::time_zone& zone, int64_t unixMs) {
  return date::floor<date::days>(zone.to_local(SysMs{std::chrono::milliseconds(unixMs)}));
}

struct Occurrence {
  int64_t start = 0, end = 0;
};

// W's occurrence starting on local DAY, if DAY is one of its days and the
// occurrence is not swallowed by a skipped hour.
std::optional<Occurrence> occurrenceOn(const MaintenanceWindow& w, const date::time_zone& zone, date::local_days day) {
  unsigned weekday = date::weekday(day).c_encoding();
  if ((w.days & (1u << weekday)) == 0) return std::nullopt;
  date::local_days endDay = w.toMinute <= w.fromMinute ? day + date::days(1) : day;
  Occurrence o{toUnixMs(zone, day + Minutes(w.fromMinute)), toUnixMs(zone, endDay + Minutes(w.toMinute))};
  if (o.start >= o.end) return std::nullopt;
  return o;
}

// Every occurrence of W starting from FIRST_DAY to LAST_DAY after the
// local day of UNIX_MS (negative: before), one-off or weekly.
std::vector<Occurrence> occurrencesAround(const MaintenanceWindow& w, int64_t unixMs, int firstDay, int lastDay) {
  if (!w.weekly) return {{w.startUnixMs, w.endUnixMs}};
  const date::time_zone* zone = findZone(w.timeZone);
  if (zone == nullptr) return {};  // read with a zone that has since gone from tzdata
  std::vector<Occurrence> out;
  date::local_days today = localDayOf(*zone, unixMs);
  for (int d = firstDay; d <= lastDay; ++d) {
    if (std::optional<Occurrence> o = occurrenceOn(w, *zone, today + date::days(d))) out.push_back(*o);
  }
  return out;
}

std::optional<Occurrence> activeOccurrence(const MaintenanceWindow& w, int64_t unixMs) {
  for (const Occurrence& o : occurrencesAround(w, unixMs, -kDaysBefore, 0)) {
    if (o.start <= unixMs && unixMs < o.end) return o;
  }
  return std::nullopt;
}

// --- reading the section ---

// "HH:MM" (or "H:MM") as minutes after midnight; "24:00" where allowed.
Result<int> parseClockTime(std::string_view text, bool allowEndOfDay) {
  text = trimView(text);
  size_t colon = text.find(':');
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() - colon != 3 ||
      !digits(text.substr(0, colon)) || !digits(text.substr(colon + 1))) {
    return Error{"expected a time HH:MM, got '" + std::string(text) + "'"};
  }
  int hours = std::stoi(std::string(text.substr(0, colon)));
  int minutes = std::stoi(std::string(text.substr(colon + 1)));
  if (allowEndOfDay && hours == 24 && minutes == 0) return 24 * 60;
  if (hours > 23 || minutes > 59) {
    return Error{"no such time of day: '" + std::string(text) + "'" + (allowEndOfDay ? " (24:00 is the day's end)" : "")};
  }
  return hours * 60 + minutes;
}

// "YYYY-MM-DD HH:MM" as a local time.
Result<LocalMinute> parseLocalDateTime(std::string_view text) {
  text = trimView(text);
  const Error bad{"expected a date and time YYYY-MM-DD HH:MM, got '" + std::string(text) + "'"};
  size_t space = text.find_first_of(" T");
  if (space != 10) return bad;
  std::string_view day = text.substr(0, 10);
  for (size_t i = 0; i < day.size(); ++i) {
    bool dash = i == 4 || i == 7;
    if (dash ? day[i] != '-' : (day[i] < '0' || day[i] > '9')) return bad;
  }
  Result<int> minute = parseClockTime(text.substr(space + 1), false);
  if (!minute) return bad;
  int year = std::stoi(std::string(day.substr(0, 4)));
  unsigned month = static_cast<unsigned>(std::stoi(std::string(day.substr(5, 2))));
  unsigned dayOfMonth = static_cast<unsigned>(std::stoi(std::string(day.substr(8, 2))));
  date::year_month_day ymd{date::year(year), date::month(month), date::day(dayOfMonth)};
  if (!ymd.ok() || year < 1970) return Error{"no such date: '" + std::string(day) + "'"};
  return LocalMinute{date::local_days(ymd)} + Minutes(*minute);
}

// "mon, wed-fri" or "daily" as a weekday bit set (bit 0 Sunday).
Result<uint8_t> parseDays(std::string_view text) {
  static constexpr const char* kNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  static constexpr const char* kLong[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  auto dayNumber = [](std::string word) -> int {
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int d = 0; d < 7; ++d) {
      if (word == kNames[d] || word == kLong[d]) return d;
    }
    return -1;
  };
  std::vector<std::string> items = splitList(text);
  if (items.empty()) return Error{"expected days: mon, tue, ... (or daily, or a range mon-fri)"};
  uint8_t days = 0;
  for (const std::string& item : items) {
    std::string lower = item;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "daily") {
      days = 0x7f;
      continue;
    }
    size_t dash = item.find('-');
    int first = dayNumber(dash == std::string::npos ? item : item.substr(0, dash));
    int last = dash == std::string::npos ? first : dayNumber(item.substr(dash + 1));
    if (first < 0 || last < 0) {
      return Error{"'" + item + "' is not a day (mon, tue, wed, thu, fri, sat, sun, daily, or a range mon-fri)"};
    }
    for (int d = first;; d = (d + 1) % 7) {  // sat-mon wraps over the week's end
      days = static_cast<uint8_t>(days | (1u << d));
      if (d == last) break;
    }
  }
  return days;
}

bool looksLikeZoneName(const std::string& zone) {
  return !zone.empty() && zone.size() <= 64 && zone.find("..") == std::string::npos && zone.front() != '/' &&
         std::all_of(zone.begin(), zone.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+';
         });
}

class WindowReader {
 public:
  WindowReader(SectionReader& r, const std::string& name) : r_(r) { w_.name = name; }

  std::optional<MaintenanceWindow> read() {
    w_.line = r_.section().line;
    const date::time_zone* zone = readZone();
    const IniEntry* start = r_.take("start");
    const IniEntry* end = r_.take("end");
    const IniEntry* days = r_.take("days");
    const IniEntry* from = r_.take("from");
    const IniEntry* to = r_.take("to");
    bool oneOff = start || end;
    bool weekly = days || from || to;
    if (oneOff && weekly) {
      headerError("give either start and end (one-off) or days, from and to (weekly), not both");
    } else if (oneOff) {
      readOneOff(zone, start, end);
    } else if (weekly) {
      readWeekly(days, from, to);
    } else {
      headerError("needs start and end (one-off), or days, from and to (weekly)");
    }
    readSelector();
    r_.rejectUntaken("start, end, days, from, to, timezone, jobs, tags");
    if (bad_) return std::nullopt;
    return std::move(w_);
  }

 private:
  void error(const IniEntry& e, const std::string& message) {
    r_.error(e, message);
    bad_ = true;
  }
  void headerError(const std::string& message) {
    r_.errorAtHeader(message);
    bad_ = true;
  }

  const date::time_zone* readZone() {
    const IniEntry* e = r_.take("timezone");
    if (e == nullptr) {
      const date::time_zone* utc = findZone(w_.timeZone);
      if (utc == nullptr) headerError("no time zone data for UTC on this system (/usr/share/zoneinfo: install tzdata)");
      return utc;
    }
    std::string zone(trimView(e->value));
    const date::time_zone* found = looksLikeZoneName(zone) ? findZone(zone) : nullptr;
    if (found == nullptr) {
      error(*e, "unknown time zone '" + zone + "' (a name from the system's tzdata, e.g. Europe/Berlin or UTC)");
      return nullptr;
    }
    w_.timeZone = zone;
    return found;
  }

  void readOneOff(const date::time_zone* zone, const IniEntry* start, const IniEntry* end) {
    if (!start || !end) {
      headerError("'start' and 'end' go together");
      return;
    }
    Result<LocalMinute> from = parseLocalDateTime(start->value);
    Result<LocalMinute> until = parseLocalDateTime(end->value);
    if (!from) error(*start, from.error());
    if (!until) error(*end, until.error());
    if (!from || !until) return;
    if (zone == nullptr) {
      bad_ = true;  // the zone's error is reported
      return;
    }
    w_.startUnixMs = toUnixMs(*zone, *from);
    w_.endUnixMs = toUnixMs(*zone, *until);
    if (w_.startUnixMs >= w_.endUnixMs) {
      error(*end, "'" + std::string(trimView(end->value)) + "' is not after start '" +
                      std::string(trimView(start->value)) + "' (" + w_.timeZone + ")");
    }
  }

  void readWeekly(const IniEntry* days, const IniEntry* from, const IniEntry* to) {
    w_.weekly = true;
    if (!days || !from || !to) {
      headerError("a weekly window needs days, from and to");
      return;
    }
    Result<uint8_t> d = parseDays(days->value);
    Result<int> f = parseClockTime(from->value, false);
    Result<int> t = parseClockTime(to->value, true);
    if (!d) error(*days, d.error());
    if (!f) error(*from, f.error());
    if (!t) error(*to, t.error());
    if (!d || !f || !t) return;
    w_.days = *d;
    w_.fromMinute = *f;
    // As an end, 00:00 is the midnight the day's window runs to: the same
    // instant as 24:00, kept as 1440 so an end is always 1..1440.
    w_.toMinute = *t == 0 ? 24 * 60 : *t;
    if (*f == *t) error(*to, "the same time as from: an empty window (a whole day is from = 00:00, to = 24:00)");
  }

  void readSelector() {
    const IniEntry* jobs = r_.take("jobs");
    const IniEntry* tags = r_.take("tags");
    if (!jobs && !tags) headerError("needs jobs = NAME, glob* (or * for all) and/or tags = TAG, ...");
    if (jobs) {
      w_.jobsLine = jobs->line;
      std::vector<std::string> globs = splitList(jobs->value);
      if (globs.empty()) error(*jobs, "empty list of jobs (* means all)");
      for (std::string& glob : globs) {
        if (glob == "*") w_.selector.all = true;
        else w_.selector.jobGlobs.push_back(std::move(glob));
      }
    }
    if (tags) {
      w_.tagsLine = tags->line;
      w_.selector.tags = splitList(tags->value);
      if (w_.selector.tags.empty()) error(*tags, "empty list of tags");
      for (const std::string& tag : w_.selector.tags) {
        if (!isTagName(tag)) error(*tags, "'" + tag + "' is not a tag name (letters, digits, _ . -)");
      }
    }
  }

  SectionReader& r_;
  MaintenanceWindow w_;
  bool bad_ = false;
};

}  // namespace

std::optional<MaintenanceWindow> readMaintenanceSection(SectionReader& r, const std::string& name) {
  return WindowReader(r, name).read();
}

bool maintenanceActive(const MaintenanceWindow& w, int64_t unixMs) { return activeOccurrence(w, unixMs).has_value(); }

int64_t maintenanceEndsAt(const MaintenanceWindow& w, int64_t unixMs) {
  int64_t end = unixMs;
  for (int i = 0; i < kMaxChainedOccurrences; ++i) {
    std::optional<Occurrence> o = activeOccurrence(w, end);
    if (!o) break;
    end = o->end;
  }
  return end;
}

int64_t maintenanceNextChange(const MaintenanceWindow& w, int64_t unixMs) {
  std::vector<int64_t> candidates;
  for (const Occurrence& o : occurrencesAround(w, unixMs, -kDaysBefore, kDaysAfter)) {
    for (int64_t at : {o.start, o.end}) {
      if (at > unixMs) candidates.push_back(at);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  // An end where the next occurrence starts (or inside an overlapping one)
  // changes nothing.
  for (int64_t at : candidates) {
    if (maintenanceActive(w, at - 1) != maintenanceActive(w, at)) return at;
  }
  return INT64_MAX;
}

std::string formatLocalMinute(int64_t unixMs, const std::string& zone) {
  const date::time_zone* found = findZone(zone);
  std::string name = found ? zone : "UTC";
  auto minute = date::floor<Minutes>(SysMs{std::chrono::milliseconds(unixMs)});
  if (found == nullptr) return date::format("%Y-%m-%d %H:%M", minute) + " " + name;
  return date::format("%Y-%m-%d %H:%M", date::make_zoned(found, minute).get_local_time()) + " " + name;
}

}  // namespace checker
