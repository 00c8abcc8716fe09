// Typed config values: durations, sizes, schedules, modes, host:port, lists,
// and the exec command-line splitter.
#include <gtest/gtest.h>

#include "config/config_values.h"
#include "config/command_line.h"

namespace checker {
namespace {

template <typename T>
T valueOf(const Result<T>& p) {
  EXPECT_TRUE(p.ok()) << p.error();
  return p.ok() ? *p : T{};
}

template <typename T>
std::string errorOf(const Result<T>& p) {
  EXPECT_FALSE(p.ok());
  return p.error();
}

TEST(ConfigValues, DurationsTakeEveryUnit) {
  EXPECT_EQ(valueOf(parseDuration("500ms")).count(), 500);
  EXPECT_EQ(valueOf(parseDuration("30s")).count(), 30'000);
  EXPECT_EQ(valueOf(parseDuration(" 15m ")).count(), 900'000);
  EXPECT_EQ(valueOf(parseDuration("2h")).count(), 7'200'000);
  EXPECT_EQ(valueOf(parseDuration("1d")).count(), 86'400'000);
  EXPECT_EQ(valueOf(parseDuration("10S")).count(), 10'000);
}

TEST(ConfigValues, DurationsRejectWhatIsUnclear) {
  EXPECT_NE(errorOf(parseDuration("10")).find("missing unit"), std::string::npos);
  EXPECT_NE(errorOf(parseDuration("10y")).find("unknown unit"), std::string::npos);
  EXPECT_NE(errorOf(parseDuration("0s")).find("greater than zero"), std::string::npos);
  EXPECT_NE(errorOf(parseDuration("-5s")).find("expected a duration"), std::string::npos);
  EXPECT_NE(errorOf(parseDuration("99999999999d")).find("too long"), std::string::npos);
  EXPECT_NE(errorOf(parseDuration("")).find("expected a duration"), std::string::npos);
}

TEST(ConfigValues, FormatDurationPicksTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(Milliseconds(90'000)), "90s");
  EXPECT_EQ(formatDuration(Milliseconds(120'000)), "2m");
  EXPECT_EQ(formatDuration(Milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(Milliseconds(86'400'000)), "1d");
}

TEST(ConfigValues, Sizes) {
  EXPECT_EQ(valueOf(parseSize("4096")), 4096u);
  EXPECT_EQ(valueOf(parseSize("64K")), 64u << 10);
  EXPECT_EQ(valueOf(parseSize("256M")), 256u << 20);
  EXPECT_EQ(valueOf(parseSize("1g")), 1ull << 30);
  EXPECT_NE(errorOf(parseSize("12T")).find("unknown size unit"), std::string::npos);
  EXPECT_NE(errorOf(parseSize("lots")).find("expected a size"), std::string::npos);
  EXPECT_NE(errorOf(parseSize("99999999999999999G")).find("too large"), std::string::npos);
}

TEST(ConfigValues, CountsAndBooleans) {
  EXPECT_EQ(valueOf(parseCount("5", 1, 10)), 5u);
  EXPECT_NE(errorOf(parseCount("0", 1, 10)).find("between 1 and 10"), std::string::npos);
  EXPECT_NE(errorOf(parseCount("5x", 1, 10)).find("whole number"), std::string::npos);
  for (const char* yes : {"1", "yes", "True", "ON"}) EXPECT_TRUE(valueOf(parseBool(yes))) << yes;
  for (const char* no : {"0", "no", "False", "off"}) EXPECT_FALSE(valueOf(parseBool(no))) << no;
  EXPECT_NE(errorOf(parseBool("maybe")).find("expected yes/no"), std::string::npos);
}

TEST(ConfigValues, SchedulesOfTheOriginalAndIntervals) {
  EXPECT_EQ(valueOf(parseSchedule("minute")).kind, Schedule::Kind::minute);
  EXPECT_EQ(valueOf(parseSchedule("hour")).kind, Schedule::Kind::hour);
  EXPECT_EQ(valueOf(parseSchedule("day")).kind, Schedule::Kind::day);
  EXPECT_EQ(valueOf(parseSchedule("day_noon")).kind, Schedule::Kind::dayNoon);
  Schedule every30 = valueOf(parseSchedule("30s"));
  EXPECT_EQ(every30.kind, Schedule::Kind::interval);
  EXPECT_EQ(every30.interval.count(), 30'000);
  EXPECT_EQ(every30.text(), "30s");
  EXPECT_EQ(valueOf(parseSchedule("minute")).period().count(), 60'000);
  EXPECT_NE(errorOf(parseSchedule("fortnight")).find("unknown schedule 'fortnight'"), std::string::npos);
  EXPECT_NE(errorOf(parseSchedule("500ms")).find("minimum of 1s"), std::string::npos);
}

TEST(ConfigValues, NotifyModesOfTheOriginal) {
  const std::pair<const char*, NotifyMode> modes[] = {
      {"every", NotifyMode::every}, {"5min", NotifyMode::fiveMinutes}, {"10min", NotifyMode::tenMinutes},
      {"hour", NotifyMode::hour},   {"day", NotifyMode::day},          {"state_change", NotifyMode::stateChange}};
  for (auto [text, mode] : modes) {
    EXPECT_EQ(valueOf(parseNotifyMode(text)), mode) << text;
    EXPECT_STREQ(notifyModeName(mode), text);
  }
  EXPECT_NE(errorOf(parseNotifyMode("weekly")).find("unknown notification mode"), std::string::npos);
}

TEST(ConfigValues, HostPort) {
  HostPort hp = valueOf(parseHostPort("example.org:443"));
  EXPECT_EQ(hp.host, "example.org");
  EXPECT_EQ(hp.port, 443);
  HostPort v6 = valueOf(parseHostPort("[::1]:5000"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 5000);
  EXPECT_EQ(v6.text(), "[::1]:5000");
  EXPECT_NE(errorOf(parseHostPort("example.org")).find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(errorOf(parseHostPort("::1:80")).find("expected HOST:PORT"), std::string::npos);
  EXPECT_NE(errorOf(parseHostPort("host:0")).find("between 1 and 65535"), std::string::npos);
  EXPECT_NE(errorOf(parseHostPort("host:70000")).find("between 1 and 65535"), std::string::npos);
  EXPECT_NE(errorOf(parseHostPort(":22")).find("missing host"), std::string::npos);
}

TEST(ConfigValues, ListsSplitOnCommasAndNewlines) {
  EXPECT_EQ(splitList("a:1, b:2,\n c:3 ,,"), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_TRUE(splitList(" , ").empty());
}

TEST(ConfigValues, EmailAddresses) {
  EXPECT_TRUE(looksLikeEmailAddress("admin@example.org"));
  EXPECT_FALSE(looksLikeEmailAddress("admin"));
  EXPECT_FALSE(looksLikeEmailAddress("@example.org"));
  EXPECT_FALSE(looksLikeEmailAddress("a b@example.org"));
  EXPECT_FALSE(looksLikeEmailAddress("a@b@c"));
}

TEST(CommandLine, SplitsLikeAShellWithoutExpanding) {
  EXPECT_EQ(valueOf(splitCommandLine(R"(/bin/check -w '10 %' "a \"b\"" c\ d $HOME)")),
            (std::vector<std::string>{"/bin/check", "-w", "10 %", "a \"b\"", "c d", "$HOME"}));
  EXPECT_EQ(valueOf(splitCommandLine("  ''  x")), (std::vector<std::string>{"", "x"}));
}

TEST(CommandLine, RejectsUnbalancedQuotes) {
  EXPECT_NE(errorOf(splitCommandLine("/bin/x 'open")).find("unbalanced ' quote"), std::string::npos);
  EXPECT_NE(errorOf(splitCommandLine("/bin/x \\")).find("trailing backslash"), std::string::npos);
}

}  // namespace
}  // namespace checker
