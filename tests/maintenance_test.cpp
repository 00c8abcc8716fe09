// [maintenance NAME] windows (config/maintenance.h): one-off and weekly,
// past midnight, daylight saving days in two zones, the next change, the
// job selector, and every error with its file and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <climits>
#include <ctime>

#include "config/config.h"
#include "config/job_catalog.h"
#include "config/job_selector.h"
#include "config/maintenance.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

const std::string kMinimal = "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n";  // 5 lines
constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;

ConfigLoad parse(const std::string& sections) { return parseConfigText(kMinimal + sections, "/etc/checker/t.cfg"); }

int64_t utc(int year, int month, int day, int hour, int minute) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return static_cast<int64_t>(::timegm(&tm)) * 1000;
}

// The one window of a [maintenance w] section with BODY (and jobs = *).
MaintenanceWindow window(const std::string& body) {
  ConfigLoad load = parse("[maintenance w]\n" + body + "jobs = *\n");
  EXPECT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  EXPECT_EQ(load.config.maintenance.size(), 1u);
  return load.config.maintenance.empty() ? MaintenanceWindow{} : load.config.maintenance[0];
}

std::string onlyError(const std::string& sections) {
  ConfigLoad load = parse(sections);
  EXPECT_EQ(load.errors.size(), 1u) << ::testing::PrintToString(load.errors);
  return load.errors.empty() ? "" : load.errors[0];
}

TEST(Maintenance, OneOffInAZone) {
  MaintenanceWindow w = window("start = 2026-12-10 22:00\nend = 2026-12-11 01:30\ntimezone = Europe/Berlin\n");
  EXPECT_FALSE(w.weekly);
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.line, 6);
  EXPECT_TRUE(w.selector.all);
  int64_t start = utc(2026, 12, 10, 21, 0), end = utc(2026, 12, 11, 0, 30);  // CET is UTC+1
  EXPECT_EQ(w.startUnixMs, start);
  EXPECT_EQ(w.endUnixMs, end);
  EXPECT_FALSE(maintenanceActive(w, start - 1));
  EXPECT_TRUE(maintenanceActive(w, start));
  EXPECT_TRUE(maintenanceActive(w, end - 1));
  EXPECT_FALSE(maintenanceActive(w, end));
  EXPECT_EQ(maintenanceEndsAt(w, start + kHour), end);
  EXPECT_EQ(maintenanceEndsAt(w, end + 5), end + 5) << "not active: the instant itself";
  EXPECT_EQ(maintenanceNextChange(w, start - kDay), start);
  EXPECT_EQ(maintenanceNextChange(w, start), end);
  EXPECT_EQ(maintenanceNextChange(w, end), INT64_MAX);
  EXPECT_EQ(formatLocalMinute(end, "Europe/Berlin"), "2026-12-11 01:30 Europe/Berlin");
  EXPECT_EQ(formatLocalMinute(end + 59'999, "UTC"), "2026-12-11 00:30 UTC");
  EXPECT_EQ(window("start = 2026-12-10 22:00\nend = 2026-12-10 23:00\n").startUnixMs, utc(2026, 12, 10, 22, 0))
      << "UTC by default";
}

TEST(Maintenance, WeeklyOnItsDaysOnly) {
  MaintenanceWindow w = window("days = mon, wed\nfrom = 09:00\nto = 10:00\n");
  EXPECT_TRUE(w.weekly);
  int64_t monday = utc(2026, 12, 7, 0, 0);  // a Monday
  EXPECT_TRUE(maintenanceActive(w, monday + 9 * kHour + 30 * kMinute));
  EXPECT_FALSE(maintenanceActive(w, monday + 10 * kHour));
  EXPECT_FALSE(maintenanceActive(w, monday + kDay + 9 * kHour + 30 * kMinute)) << "Tuesday";
  EXPECT_TRUE(maintenanceActive(w, monday + 2 * kDay + 9 * kHour));
  EXPECT_EQ(maintenanceEndsAt(w, monday + 9 * kHour), monday + 10 * kHour);
  EXPECT_EQ(maintenanceNextChange(w, monday + 10 * kHour), monday + 2 * kDay + 9 * kHour);
  EXPECT_EQ(maintenanceNextChange(w, monday + 2 * kDay + 10 * kHour), monday + 7 * kDay + 9 * kHour)
      << "Wednesday to the next Monday";
  EXPECT_EQ(window("days = mon-fri\nfrom = 1:00\nto = 2:00\n").days, 0b0111110);
  EXPECT_EQ(window("days = Saturday-mon\nfrom = 1:00\nto = 2:00\n").days, 0b1000011) << "a range over the weekend";
  EXPECT_EQ(window("days = daily\nfrom = 1:00\nto = 2:00\n").days, 0x7f);
}

TEST(Maintenance, WrapsPastMidnightAndBelongsToItsFirstDay) {
  MaintenanceWindow w = window("days = fri\nfrom = 22:00\nto = 02:00\n");
  int64_t friday = utc(2026, 12, 11, 0, 0);
  EXPECT_FALSE(maintenanceActive(w, friday + kHour)) << "Thursday is not a day of it";
  EXPECT_TRUE(maintenanceActive(w, friday + 22 * kHour));
  EXPECT_TRUE(maintenanceActive(w, friday + kDay + kHour)) << "Saturday 01:00: Friday's occurrence";
  EXPECT_FALSE(maintenanceActive(w, friday + kDay + 2 * kHour));
  EXPECT_FALSE(maintenanceActive(w, friday + kDay + 23 * kHour)) << "Saturday is not a day of it";
  EXPECT_EQ(maintenanceEndsAt(w, friday + kDay + kHour), friday + kDay + 2 * kHour);
  EXPECT_EQ(maintenanceNextChange(w, friday + 23 * kHour), friday + kDay + 2 * kHour);
}

// Found by maintenance_fuzz: `to = 00:00` was kept as minute 0, outside the
// 1..1440 an end is said to be. It is the midnight ending the window's
// day, exactly as 24:00.
TEST(Maintenance, AnEndAtMidnightIsTheSameAs24) {
  MaintenanceWindow midnight = window("days = mon-fri, sun\nfrom = 22:00\nto = 00:00\ntimezone = America/New_York\n");
  MaintenanceWindow end = window("days = mon-fri, sun\nfrom = 22:00\nto = 24:00\ntimezone = America/New_York\n");
  EXPECT_EQ(midnight.toMinute, 24 * 60);
  int64_t friday = utc(2026, 12, 11, 0, 0);
  for (int64_t at = friday; at < friday + 3 * kDay; at += 30 * kMinute) {
    EXPECT_EQ(maintenanceActive(midnight, at), maintenanceActive(end, at)) << at;
    EXPECT_EQ(maintenanceNextChange(midnight, at), maintenanceNextChange(end, at)) << at;
  }
}

TEST(Maintenance, AlwaysOnChangesNeverAndEndsFarAhead) {
  MaintenanceWindow w = window("days = daily\nfrom = 00:00\nto = 24:00\n");
  int64_t now = utc(2026, 6, 1, 12, 0);
  EXPECT_TRUE(maintenanceActive(w, now));
  EXPECT_EQ(maintenanceNextChange(w, now), INT64_MAX) << "one day's end is the next one's start";
  EXPECT_GT(maintenanceEndsAt(w, now), now + 300 * kDay);
}

// Europe/Berlin 2026: 02:00 CET becomes 03:00 CEST on 29 March (01:00 UTC);
// 03:00 CEST becomes 02:00 CET on 25 October (01:00 UTC).
TEST(MaintenanceDst, BerlinSpringForwardStartsASkippedTimeAtTheGapsEnd) {
  MaintenanceWindow w = window("days = daily\nfrom = 02:30\nto = 04:00\ntimezone = Europe/Berlin\n");
  EXPECT_TRUE(maintenanceActive(w, utc(2026, 3, 28, 1, 30))) << "the day before: 02:30 CET";
  EXPECT_FALSE(maintenanceActive(w, utc(2026, 3, 29, 0, 59)));
  EXPECT_TRUE(maintenanceActive(w, utc(2026, 3, 29, 1, 0))) << "02:30 does not exist: starts at 03:00 CEST";
  EXPECT_EQ(maintenanceEndsAt(w, utc(2026, 3, 29, 1, 0)), utc(2026, 3, 29, 2, 0));
  EXPECT_EQ(maintenanceNextChange(w, utc(2026, 3, 28, 12, 0)), utc(2026, 3, 29, 1, 0));
  EXPECT_EQ(window("start = 2026-03-29 02:30\nend = 2026-03-29 05:00\ntimezone = Europe/Berlin\n").startUnixMs,
            utc(2026, 3, 29, 1, 0));
  // Wholly inside the skipped hour: no occurrence that day.
  MaintenanceWindow gone = window("days = daily\nfrom = 02:00\nto = 02:45\ntimezone = Europe/Berlin\n");
  EXPECT_FALSE(maintenanceActive(gone, utc(2026, 3, 29, 1, 0)));
  EXPECT_EQ(maintenanceNextChange(gone, utc(2026, 3, 28, 23, 0)), utc(2026, 3, 30, 0, 0)) << "02:00 CEST on the 30th";
}

TEST(MaintenanceDst, BerlinFallBackTakesTheFirstOfARepeatedTime) {
  MaintenanceWindow w = window("days = sun\nfrom = 01:00\nto = 03:00\ntimezone = Europe/Berlin\n");
  int64_t start = utc(2026, 10, 24, 23, 0);  // 01:00 CEST
  EXPECT_FALSE(maintenanceActive(w, start - 1));
  EXPECT_TRUE(maintenanceActive(w, start));
  EXPECT_EQ(maintenanceEndsAt(w, start), utc(2026, 10, 25, 2, 0)) << "03:00 CET: three hours that night";
  EXPECT_EQ(window("start = 2026-10-25 02:30\nend = 2026-10-25 04:00\ntimezone = Europe/Berlin\n").startUnixMs,
            utc(2026, 10, 25, 0, 30))
      << "02:30 happens twice: the first, in summer time";
}

// America/New_York 2026: 02:00 EST becomes 03:00 EDT on 8 March (07:00 UTC);
// 02:00 EDT becomes 01:00 EST on 1 November (06:00 UTC).
TEST(MaintenanceDst, NewYorkBothChanges) {
  MaintenanceWindow spring = window("days = daily\nfrom = 02:30\nto = 03:30\ntimezone = America/New_York\n");
  EXPECT_FALSE(maintenanceActive(spring, utc(2026, 3, 8, 6, 59)));
  EXPECT_TRUE(maintenanceActive(spring, utc(2026, 3, 8, 7, 0))) << "03:00 EDT";
  EXPECT_EQ(maintenanceEndsAt(spring, utc(2026, 3, 8, 7, 0)), utc(2026, 3, 8, 7, 30));
  EXPECT_EQ(maintenanceEndsAt(spring, utc(2026, 3, 7, 7, 30)), utc(2026, 3, 7, 8, 30)) << "the day before, in EST";
  MaintenanceWindow fall = window("days = sun\nfrom = 01:00\nto = 02:00\ntimezone = America/New_York\n");
  EXPECT_TRUE(maintenanceActive(fall, utc(2026, 11, 1, 5, 0))) << "01:00 EDT";
  EXPECT_EQ(maintenanceEndsAt(fall, utc(2026, 11, 1, 5, 0)), utc(2026, 11, 1, 7, 0)) << "02:00 EST: two hours";
  EXPECT_EQ(window("start = 2026-11-01 01:30\nend = 2026-11-01 03:00\ntimezone = America/New_York\n").startUnixMs,
            utc(2026, 11, 1, 5, 30));
}

TEST(JobSelectorTest, GlobsMatchNameOrSectionAndTagsMatchTags) {
  JobSelector globs{false, {"db*", "ssh[10.0.0.5:22]"}, {}};
  EXPECT_TRUE(selectsJob(globs, "db-main", "db-main", {}));
  EXPECT_TRUE(selectsJob(globs, "web[db1:80]", "db-pool", {})) << "by its section";
  EXPECT_TRUE(selectsJob(globs, "ssh[10.0.0.5:22]", "ssh", {})) << "equal, though '[' is a glob bracket";
  EXPECT_FALSE(selectsJob(globs, "ssh[10.0.0.6:22]", "ssh", {}));
  EXPECT_FALSE(selectsJob(globs, "web", "web", {"db"}));
  EXPECT_TRUE(selectsJob(JobSelector{false, {"ssh*"}, {}}, "ssh[10.0.0.6:22]", "ssh", {}));
  JobSelector tags{false, {}, {"db", "eu"}};
  EXPECT_TRUE(selectsJob(tags, "x", "x", {"prod", "eu"}));
  EXPECT_FALSE(selectsJob(tags, "db", "db", {"prod"})) << "a tag selector does not match names";
  EXPECT_TRUE(selectsJob(JobSelector{true, {}, {}}, "email self-check", "", {}));
  EXPECT_FALSE(selectsJob(JobSelector{}, "x", "x", {"x"}));
  EXPECT_TRUE(isTagName("db.main-2_x"));
  EXPECT_FALSE(isTagName("db main"));
  EXPECT_FALSE(isTagName(""));
  EXPECT_FALSE(isTagName(std::string(65, 'a')));
}

TEST(MaintenanceConfig, JobsAndTagsSelect) {
  ConfigLoad load = parse("[maintenance nightly]\ndays = daily\nfrom = 1:00\nto = 2:00\njobs = db*, web\ntags = eu\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  const MaintenanceWindow& w = load.config.maintenance.at(0);
  EXPECT_FALSE(w.selector.all);
  EXPECT_EQ(w.selector.jobGlobs, (std::vector<std::string>{"db*", "web"}));
  EXPECT_EQ(w.selector.tags, (std::vector<std::string>{"eu"}));
  EXPECT_EQ(w.jobsLine, 10);
  EXPECT_EQ(w.tagsLine, 11);
}

TEST(MaintenanceConfig, ErrorsNameFileLineSectionAndKey) {
  const std::string weekly = "days = mon\nfrom = 1:00\nto = 2:00\n";
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly + "timezone = Mars/Olympus_Mons\njobs = *\n"),
              HasSubstr("t.cfg:10: [maintenance m] timezone: unknown time zone 'Mars/Olympus_Mons'"));
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly + "timezone = ../../etc/passwd\njobs = *\n"),
              HasSubstr("t.cfg:10: [maintenance m] timezone: unknown time zone '../../etc/passwd'"));
  EXPECT_THAT(onlyError("[maintenance m]\nstart = 2026-12-10 22:00\nend = 2026-12-10 21:00\njobs = *\n"),
              HasSubstr("t.cfg:8: [maintenance m] end: '2026-12-10 21:00' is not after start '2026-12-10 22:00'"));
  EXPECT_THAT(onlyError("[maintenance m]\nstart = 2026-02-30 22:00\nend = 2026-12-10 23:00\njobs = *\n"),
              HasSubstr("t.cfg:7: [maintenance m] start: no such date: '2026-02-30'"));
  EXPECT_THAT(onlyError("[maintenance m]\nstart = 2026-12-10\nend = 2026-12-10 23:00\njobs = *\n"),
              HasSubstr("t.cfg:7: [maintenance m] start: expected a date and time YYYY-MM-DD HH:MM"));
  EXPECT_THAT(onlyError("[maintenance m]\nstart = 2026-12-10 22:00\njobs = *\n"),
              HasSubstr("t.cfg:6: [maintenance m] 'start' and 'end' go together"));
  EXPECT_THAT(onlyError("[maintenance m]\nstart = 2026-12-10 22:00\nend = 2026-12-10 23:00\n" + weekly + "jobs = *\n"),
              HasSubstr("t.cfg:6: [maintenance m] give either start and end (one-off) or days, from and to"));
  EXPECT_THAT(onlyError("[maintenance m]\njobs = *\n"), HasSubstr("t.cfg:6: [maintenance m] needs start and end"));
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly), HasSubstr("t.cfg:6: [maintenance m] needs jobs = NAME"));
  EXPECT_THAT(onlyError("[maintenance m]\ndays = mon, funday\nfrom = 1:00\nto = 2:00\njobs = *\n"),
              HasSubstr("t.cfg:7: [maintenance m] days: 'funday' is not a day"));
  EXPECT_THAT(onlyError("[maintenance m]\ndays = mon\nfrom = 25:00\nto = 2:00\njobs = *\n"),
              HasSubstr("t.cfg:8: [maintenance m] from: no such time of day: '25:00'"));
  EXPECT_THAT(onlyError("[maintenance m]\ndays = mon\nfrom = 2:00\nto = 2:00\njobs = *\n"),
              HasSubstr("t.cfg:9: [maintenance m] to: the same time as from"));
  EXPECT_THAT(onlyError("[maintenance m]\ndays = mon\nfrom = 1:00\njobs = *\n"),
              HasSubstr("t.cfg:6: [maintenance m] a weekly window needs days, from and to"));
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly + "tags = a b\n"),
              HasSubstr("t.cfg:10: [maintenance m] tags: 'a b' is not a tag name"));
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly + "jobs = *\nduration = 1h\n"),
              HasSubstr("t.cfg:11: [maintenance m] duration: unknown key"));
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly + "jobs = *\n[maintenance m]\n" + weekly + "jobs = *\n"),
              HasSubstr("t.cfg:11: duplicate section [maintenance m] (first at line 6)"));
  EXPECT_THAT(onlyError("[maintenance m]\n" + weekly + "jobs = *\n[maintenance  m]\n" + weekly + "jobs = *\n"),
              HasSubstr("t.cfg:11: [maintenance m] is defined again (first at line 6)"));
  EXPECT_THAT(onlyError("[maintenance]\n" + weekly + "jobs = *\n"), HasSubstr("t.cfg:6: [maintenance] needs a name"));
}

TEST(MaintenanceConfig, ASelectorThatMatchesNoJobIsAWarning) {
  ConfigLoad load = parse("[job db-main]\ntype = exec\ncommand = /bin/true\ntags = db\n"
                          "[maintenance m]\ndays = mon\nfrom = 1:00\nto = 2:00\njobs = db*, dbx, ssh\ntags = db, web\n");
  ASSERT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
  JobPlan plan = planJobs(load.config);
  EXPECT_TRUE(plan.ok()) << ::testing::PrintToString(plan.errors);
  EXPECT_THAT(plan.warnings, ::testing::ElementsAre(HasSubstr("t.cfg:14: warning: [maintenance m] jobs: 'dbx' matches no job"),
                                                    HasSubstr("t.cfg:14: warning: [maintenance m] jobs: 'ssh' matches no job"),
                                                    HasSubstr("t.cfg:15: warning: [maintenance m] tags: no job has the tag 'web'")));
}

}  // namespace
}  // namespace checker
