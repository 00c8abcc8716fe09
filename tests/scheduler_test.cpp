// The scheduler's timing: no cron, local-time boundaries, spread phases.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

#include "supervisor/scheduler.h"

namespace checker {
namespace {

// Sets TZ for one test and restores it after.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    const char* old = std::getenv("TZ");
    if (old) old_ = old, hadOld_ = true;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (hadOld_) ::setenv("TZ", old_.c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::string old_;
  bool hadOld_ = false;
};

Schedule sched(Schedule::Kind kind, int64_t intervalMs = 0) { return Schedule{kind, Milliseconds(intervalMs)}; }

// Unix ms of a local date-time in the current TZ.
int64_t localTime(int year, int month, int day, int hour, int minute, int second = 0) {
  tm t{};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  t.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&t)) * 1000;
}

TEST(Scheduler, MinuteJobsRunOncePerMinuteAtTheirPhase) {
  Schedule minute = sched(Schedule::Kind::minute);
  int64_t t0 = 1'700'000'040'000;  // a minute boundary
  EXPECT_EQ(nextDueUnixMs(minute, 0, t0 - 1), t0);
  EXPECT_EQ(nextDueUnixMs(minute, 0, t0), t0 + 60'000);  // strictly after
  EXPECT_EQ(nextDueUnixMs(minute, 12'345, t0), t0 + 12'345);
  EXPECT_EQ(nextDueUnixMs(minute, 12'345, t0 + 12'345), t0 + 72'345);
}

TEST(Scheduler, IntervalsKeepTheirPeriodFromAnyStart) {
  Schedule every7 = sched(Schedule::Kind::interval, 7000);
  int64_t phase = phaseForJob("tcp:h:1", every7);
  ASSERT_GE(phase, 0);
  ASSERT_LT(phase, 7000);
  int64_t due = nextDueUnixMs(every7, phase, 1'700'000'000'123);
  for (int i = 0; i < 100; ++i) {
    int64_t next = nextDueUnixMs(every7, phase, due);
    EXPECT_EQ(next - due, 7000);
    EXPECT_EQ((next - phase) % 7000, 0);
    due = next;
  }
}

TEST(Scheduler, HourAtLocalColonZeroEvenInHalfHourZones) {
  ScopedTimeZone india("Asia/Kolkata");  // UTC+5:30: local :00 is UTC :30
  Schedule hour = sched(Schedule::Kind::hour);
  int64_t after = localTime(2026, 3, 1, 10, 17);
  EXPECT_EQ(nextDueUnixMs(hour, 0, after), localTime(2026, 3, 1, 11, 0));
  EXPECT_EQ(nextDueUnixMs(hour, 5000, localTime(2026, 3, 1, 11, 0)), localTime(2026, 3, 1, 11, 0, 5));
}

TEST(Scheduler, DayAndDayNoonFollowLocalTimeAcrossDst) {
  ScopedTimeZone berlin("Europe/Berlin");
  Schedule day = sched(Schedule::Kind::day);
  Schedule noon = sched(Schedule::Kind::dayNoon);
  // 2026-03-29 is the spring-forward day in Berlin (a 23-hour day).
  EXPECT_EQ(nextDueUnixMs(day, 0, localTime(2026, 3, 28, 23, 59)), localTime(2026, 3, 29, 0, 0));
  EXPECT_EQ(nextDueUnixMs(day, 0, localTime(2026, 3, 29, 0, 0)), localTime(2026, 3, 30, 0, 0));
  EXPECT_EQ(localTime(2026, 3, 30, 0, 0) - localTime(2026, 3, 29, 0, 0), 23 * 3'600'000);
  EXPECT_EQ(nextDueUnixMs(noon, 0, localTime(2026, 3, 29, 9, 0)), localTime(2026, 3, 29, 12, 0));
  EXPECT_EQ(nextDueUnixMs(noon, 0, localTime(2026, 3, 29, 12, 0)), localTime(2026, 3, 30, 12, 0));
  // Autumn: 2026-10-25 has 25 hours; noon is still noon.
  EXPECT_EQ(nextDueUnixMs(noon, 0, localTime(2026, 10, 25, 12, 30)), localTime(2026, 10, 26, 12, 0));
}

TEST(Scheduler, PhasesAreStableAndSpreadAThousandMinuteJobs) {
  Schedule minute = sched(Schedule::Kind::minute);
  EXPECT_EQ(phaseForJob("tcp:10.0.0.1:22", minute), phaseForJob("tcp:10.0.0.1:22", minute));
  std::set<int64_t> distinctMs;
  std::map<int64_t, int> perSecond;
  for (int i = 0; i < 1000; ++i) {
    int64_t phase = phaseForJob("tcp:10.0.0." + std::to_string(i) + ":22", minute);
    ASSERT_GE(phase, 0);
    ASSERT_LT(phase, 60'000);
    distinctMs.insert(phase);
    perSecond[phase / 1000]++;
  }
  EXPECT_GT(distinctMs.size(), 980u);  // nearly every job its own millisecond
  EXPECT_EQ(perSecond.size(), 60u);    // every second of the minute used
  for (auto [second, count] : perSecond) EXPECT_LT(count, 40) << "second " << second;  // ~16.7 expected
}

TEST(Scheduler, SpreadWindowIsTheSmallerOfPeriodAndAMinute) {
  EXPECT_EQ(spreadWindowMs(sched(Schedule::Kind::interval, 2000)), 2000);
  EXPECT_EQ(spreadWindowMs(sched(Schedule::Kind::minute)), 60'000);
  EXPECT_EQ(spreadWindowMs(sched(Schedule::Kind::day)), 60'000);
}

TEST(Scheduler, DueQueueYieldsEarliestFirst) {
  DueQueue q;
  q.push({300, 3, 0});
  q.push({100, 1, 0});
  q.push({200, 2, 0});
  EXPECT_EQ(q.pop().job, 1u);
  EXPECT_EQ(q.pop().job, 2u);
  EXPECT_EQ(q.top().dueUnixMs, 300);
  EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace checker
