// The Nagios performance data parser (jobs/nagios_perfdata.h): the
// guidelines' own examples, each part of an item's syntax, and hostile
// output (garbage, huge, too many items, non-finite numbers).
#include "jobs/nagios_perfdata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "state/run_measurements.h"

namespace checker {
namespace {

// The parser's caps are the supervisor's: a longer text would be cut there.
static_assert(kMaxPerfdataItems == kMaxMeasurementsPerRun);
static_assert(kMaxPerfdataLabelBytes == kMaxMeasurementNameBytes);
static_assert(kMaxPerfdataFieldBytes == kMaxMeasurementFieldBytes);

std::vector<std::string> names(const ParsedPluginOutput& parsed) {
  std::vector<std::string> out;
  for (const JobMeasurement& m : parsed.measurements) out.push_back(m.name);
  return out;
}

// The one measurement of "x | ITEM", or a failed expectation.
JobMeasurement only(std::string_view item) {
  ParsedPluginOutput parsed = parseNagiosOutput("x | " + std::string(item));
  EXPECT_EQ(parsed.measurements.size(), 1u) << item;
  return parsed.measurements.empty() ? JobMeasurement{} : parsed.measurements[0];
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::string_literals;

TEST(NagiosPerfdata, GuidelinesSingleLine) {
  ParsedPluginOutput parsed = parseNagiosOutput("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n");
  EXPECT_EQ(parsed.text, "DISK OK - free space: / 3326 MB (56%);");
  ASSERT_EQ(parsed.measurements.size(), 1u);
  const JobMeasurement& m = parsed.measurements[0];
  EXPECT_EQ(m.name, "/");
  EXPECT_EQ(m.value, 2643);
  EXPECT_EQ(m.unit, "MB");
  EXPECT_EQ(m.warn, "5948");
  EXPECT_EQ(m.crit, "5958");
  EXPECT_EQ(m.min, "0");
  EXPECT_EQ(m.max, "5968");
}

TEST(NagiosPerfdata, GuidelinesMultiLineWithPerfdataInLongOutput) {
  ParsedPluginOutput parsed = parseNagiosOutput(
      "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
      "/ 15272 MB (77%);\n"
      "/boot 68 MB (69%);\n"
      "/home 69357 MB (27%);\n"
      "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
      "/home=69357MB;253404;253409;0;253414 \n"
      "/var/log=818MB;970;975;0;980\n");
  EXPECT_EQ(parsed.text, "DISK OK - free space: / 3326 MB (56%);");
  EXPECT_THAT(names(parsed), ElementsAre("/", "/boot", "/home", "/var/log"));
  EXPECT_EQ(parsed.measurements[2].value, 69357);
  EXPECT_EQ(parsed.measurements[2].max, "253414");
  EXPECT_EQ(parsed.measurements[3].crit, "975");
}

TEST(NagiosPerfdata, PerfdataOnlyInLongOutput) {
  ParsedPluginOutput parsed = parseNagiosOutput("OK: all fine\nsome detail\nmore | a=1\nb=2 | c=3");
  EXPECT_EQ(parsed.text, "OK: all fine");
  // After the long text's first '|' everything is data; the second '|' is a malformed item.
  EXPECT_THAT(names(parsed), ElementsAre("a", "b", "c"));
}

TEST(NagiosPerfdata, NagiosDocsPingExampleKeepsTheWellFormedItem) {
  // The Nagios docs' example separates with ", ": "0," is not a number and a unit.
  ParsedPluginOutput parsed =
      parseNagiosOutput("PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss=0, rta=0.80");
  EXPECT_EQ(parsed.text, "PING ok - Packet loss = 0%, RTA = 0.80 ms");
  ASSERT_THAT(names(parsed), ElementsAre("rta"));
  EXPECT_EQ(parsed.measurements[0].value, 0.80);
}

TEST(NagiosPerfdata, NoBarNoMeasurements) {
  ParsedPluginOutput parsed = parseNagiosOutput("  PROCS OK: 12 processes  \r\nsecond line\n");
  EXPECT_EQ(parsed.text, "PROCS OK: 12 processes");
  EXPECT_THAT(parsed.measurements, IsEmpty());
  EXPECT_EQ(parseNagiosOutput("").text, "");
  EXPECT_THAT(parseNagiosOutput("").measurements, IsEmpty());
  EXPECT_EQ(parseNagiosOutput("|a=1").text, "");
  EXPECT_THAT(names(parseNagiosOutput("|a=1")), ElementsAre("a"));
}

TEST(NagiosPerfdata, QuotedLabels) {
  ParsedPluginOutput parsed =
      parseNagiosOutput("x | 'my label'=1 'it''s'=2 'a=b'=3 ''''=4 '''q'''=5 'c:\\ used'=6%");
  EXPECT_THAT(names(parsed), ElementsAre("my label", "it's", "a=b", "'", "'q'", "c:\\ used"));
  EXPECT_EQ(parsed.measurements[5].value, 6);
  EXPECT_EQ(parsed.measurements[5].unit, "%");
}

TEST(NagiosPerfdata, MalformedLabelsAreSkipped) {
  ParsedPluginOutput parsed = parseNagiosOutput("x | ''=1 'a' =2 'b'c=3 un'quoted=4 =5 ok=6");
  EXPECT_THAT(names(parsed), ElementsAre("ok"));
  std::string control = "x | a\0b=1 't\tab'=2 'cr\rx'=3 c=4"s;
  EXPECT_THAT(names(parseNagiosOutput(control)), ElementsAre("c"));
}

TEST(NagiosPerfdata, AnUnclosedQuoteEndsItsSection) {
  ParsedPluginOutput parsed = parseNagiosOutput("x | a=1 'b=2 c=3\nlong | d=4 'e=5");
  EXPECT_THAT(names(parsed), ElementsAre("a", "d"));
}

TEST(NagiosPerfdata, LabelAndFieldCaps) {
  std::string label64(kMaxPerfdataLabelBytes, 'l');
  std::string label65(kMaxPerfdataLabelBytes + 1, 'm');
  ParsedPluginOutput parsed = parseNagiosOutput("x | " + label64 + "=1 " + label65 + "=2 '" + label65 + "'=3");
  EXPECT_THAT(names(parsed), ElementsAre(label64));
  std::string range32 = "@1:" + std::string(kMaxPerfdataFieldBytes - 3, '9');
  std::string range33 = range32 + "9";
  JobMeasurement m = only("a=1;" + range32 + ";" + range33);
  EXPECT_EQ(m.warn, range32);
  EXPECT_EQ(m.crit, "");
}

TEST(NagiosPerfdata, EveryGuidelineUnit) {
  ParsedPluginOutput parsed =
      parseNagiosOutput("x | n=1 t1=1us t2=1ms t3=1s p=1% b1=1B b2=1KB b3=1MB b4=1GB b5=1TB k=1c");
  std::vector<std::string> units;
  for (const JobMeasurement& m : parsed.measurements) units.push_back(m.unit);
  EXPECT_THAT(units, ElementsAre("", "us", "ms", "s", "%", "B", "KB", "MB", "GB", "TB", "c"));
}

TEST(NagiosPerfdata, OtherUnitsAreKeptAsTextWhenTheyLookLikeUnits) {
  ParsedPluginOutput parsed =
      parseNagiosOutput("x | t=21.5\xc2\xb0" "C s=-70dBm m=3KiB r=12/s e=5e "
                        "bad1=1, bad2=1.2.3 bad3=1# bad4=1\xff bad5=1\xc2\x85 bad6=2x10 "
                        "bad7=1abcdefghijklmnopqrstuvwxyzABCDEFG");
  EXPECT_THAT(names(parsed), ElementsAre("t", "s", "m", "r", "e"));
  EXPECT_EQ(parsed.measurements[0].unit, "\xc2\xb0" "C");
  EXPECT_EQ(parsed.measurements[1].value, -70);
  EXPECT_EQ(parsed.measurements[1].unit, "dBm");
  EXPECT_EQ(parsed.measurements[4].value, 5);
  EXPECT_EQ(parsed.measurements[4].unit, "e");
}

TEST(NagiosPerfdata, UndeterminedValuesAreSkipped) {
  ParsedPluginOutput parsed = parseNagiosOutput("x | a=U b=U;1;2;0;10 'c d'=Us e=7");
  EXPECT_THAT(names(parsed), ElementsAre("e"));
}

TEST(NagiosPerfdata, Numbers) {
  EXPECT_EQ(only("a=+1.5e3").value, 1500);
  EXPECT_EQ(only("a=-.5").value, -0.5);
  EXPECT_EQ(only("a=5.").value, 5);
  EXPECT_EQ(only("a=1E-3s").value, 0.001);
  EXPECT_EQ(only("a=1E-3s").unit, "s");
  EXPECT_EQ(only("a=007").value, 7);
}

TEST(NagiosPerfdata, NonFiniteAndNonNumbersAreRejected) {
  ParsedPluginOutput parsed = parseNagiosOutput(
      "x | a=nan b=NaN c=inf d=-inf e=Infinity f=1e999 g=-1e400 h=0x10 i=. j=- k= l=e5 ok=1;nan;inf;nan;1e999");
  ASSERT_THAT(names(parsed), ElementsAre("ok"));
  const JobMeasurement& m = parsed.measurements[0];
  EXPECT_EQ(m.warn, "");
  EXPECT_EQ(m.crit, "");
  EXPECT_EQ(m.min, "");
  EXPECT_EQ(m.max, "");
  std::string longNumber = "x | n=1" + std::string(100, '0');
  EXPECT_THAT(parseNagiosOutput(longNumber).measurements, IsEmpty());
}

TEST(NagiosPerfdata, Ranges) {
  JobMeasurement m = only("a=1;@10:20;~:5;0;100");
  EXPECT_EQ(m.warn, "@10:20");
  EXPECT_EQ(m.crit, "~:5");
  m = only("a=1;10:;10");
  EXPECT_EQ(m.warn, "10:");
  EXPECT_EQ(m.crit, "10");
  m = only("a=1;-1.5:+2e1;@~:0");
  EXPECT_EQ(m.warn, "-1.5:+2e1");
  EXPECT_EQ(m.crit, "@~:0");
  // Not ranges: the field is dropped, the value kept.
  for (std::string bad : {"abc", ":", "@", "~", "@:", "1:2:3", "10%", "~5", "1::2", "@@1"}) {
    m = only("a=1;" + bad + ";" + bad + ";" + bad + ";" + bad);
    EXPECT_EQ(m.value, 1) << bad;
    EXPECT_EQ(m.warn, "") << bad;
    EXPECT_EQ(m.crit, "") << bad;
    EXPECT_EQ(m.min, "") << bad;
    EXPECT_EQ(m.max, "") << bad;
  }
}

TEST(NagiosPerfdata, EmptyAndMissingFields) {
  ParsedPluginOutput parsed = parseNagiosOutput("x | a=1;;;0;100 b=2 c=3;4 d=4;;;; e=5;1;2;3;4;5 f=6;");
  ASSERT_THAT(names(parsed), ElementsAre("a", "b", "c", "d", "f"));
  EXPECT_EQ(parsed.measurements[0].warn, "");
  EXPECT_EQ(parsed.measurements[0].min, "0");
  EXPECT_EQ(parsed.measurements[0].max, "100");
  EXPECT_EQ(parsed.measurements[2].warn, "4");
  EXPECT_EQ(parsed.measurements[2].crit, "");
  EXPECT_EQ(parsed.measurements[3].value, 4);
}

TEST(NagiosPerfdata, GarbageMixedWithGoodItems) {
  ParsedPluginOutput parsed = parseNagiosOutput(
      "CRITICAL | a=1 garbage = == =5 b=;; | c=2 ;;; 'x'y=3 d=3;1;2;3;4;5 e=4ms;;;; @@@ f=-1\n"
      "long text | g=7 g=8 \x01\x02=3 h=1");
  EXPECT_EQ(parsed.text, "CRITICAL");
  EXPECT_THAT(names(parsed), ElementsAre("a", "c", "e", "f", "g", "h"));
  EXPECT_EQ(parsed.measurements[4].value, 7);  // the first "g" counts
}

TEST(NagiosPerfdata, StopsAtTheCap) {
  std::string output = "OK |";
  for (int i = 0; i < 10000; ++i) output += " i" + std::to_string(i) + "=" + std::to_string(i) + "ms;1;2";
  output += "\nlong | late=1";
  ParsedPluginOutput parsed = parseNagiosOutput(output);
  ASSERT_EQ(parsed.measurements.size(), kMaxPerfdataItems);
  for (size_t i = 0; i < kMaxPerfdataItems; ++i) {
    EXPECT_EQ(parsed.measurements[i].name, "i" + std::to_string(i));
    EXPECT_EQ(parsed.measurements[i].value, static_cast<double>(i));
  }
}

// Each shape of a 1 MiB line is read in linear time: the bound is a
// thousand times what a linear pass takes, and far below a quadratic one.
TEST(NagiosPerfdata, OneMebibyteLinesTakeLinearTime) {
  constexpr size_t kSize = 1 << 20;
  auto repeat = [&](std::string_view unit) {
    std::string s = "TEXT |";
    while (s.size() < kSize) s += unit;
    return s;
  };
  const std::string shapes[] = {
      std::string(kSize, 'x'),        repeat("x "),     repeat("="),          repeat("'"),
      repeat("'a'b "),                repeat("' "),     repeat("''"),         repeat(";"),
      repeat("a=1;"),                 repeat("a=U "),   repeat("a=1 "),       repeat("|"),
      "x | a=" + std::string(kSize, '1'), "x | '" + std::string(kSize, 'l') + "'=1",
      repeat("a=1,\n"),               std::string(kSize, '\n') + "| a=1",
  };
  for (const std::string& shape : shapes) {
    auto start = std::chrono::steady_clock::now();
    ParsedPluginOutput parsed = parseNagiosOutput(shape);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, std::chrono::seconds(2)) << shape.substr(0, 16);
    EXPECT_LE(parsed.measurements.size(), kMaxPerfdataItems);
    for (const JobMeasurement& m : parsed.measurements) EXPECT_TRUE(std::isfinite(m.value));
  }
}

}  // namespace
}  // namespace checker
