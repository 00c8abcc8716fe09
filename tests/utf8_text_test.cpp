// common/utf8_text.h: what a job's text becomes on its way into checkerd.
#include <gtest/gtest.h>

#include <string>

#include "common/utf8_text.h"

namespace checker {
namespace {

const std::string bad = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8Text, ValidTextWithoutControlsIsUnchanged) {
  for (std::string text : {std::string(""), std::string("disk 91% full"), std::string("caf\xC3\xA9 \xE2\x82\xAC 10"),
                           std::string("\xF0\x9F\x94\xA5 fire"), std::string("tab\there"),
                           std::string("\xEF\xBF\xBF \xF4\x8F\xBF\xBF \xE2\x80\xAE")}) {  // noncharacter, max, bidi
    EXPECT_EQ(cleanLine(text), text);
    EXPECT_EQ(cleanLines(text), text);
    EXPECT_EQ(validUtf8(text), text);
  }
}

TEST(Utf8Text, EachMaximalSubpartOfABadSequenceIsOneReplacement) {
  EXPECT_EQ(cleanLine("a\xFF" "b"), "a" + bad + "b");
  EXPECT_EQ(cleanLine("\xC0\xAF"), bad + bad);                       // overlong '/': C0 is never a lead
  EXPECT_EQ(cleanLine("\xE0\x80\xAF"), bad + bad + bad);             // overlong, three bytes
  EXPECT_EQ(cleanLine("\xED\xA0\x80"), bad + bad + bad);             // a UTF-16 surrogate
  EXPECT_EQ(cleanLine("\xF4\x90\x80\x80"), bad + bad + bad + bad);   // above U+10FFFF
  EXPECT_EQ(cleanLine("\xE2\x82"), bad);                             // cut short: one subpart
  EXPECT_EQ(cleanLine("\xE2\x82x"), bad + "x");
  EXPECT_EQ(cleanLine("\xF0\x9F\x94"), bad);
  EXPECT_EQ(cleanLine("\x80\xBF"), bad + bad);                       // stray continuation bytes
  EXPECT_EQ(cleanLine("\xF8\x88\x80\x80\x80"), bad + bad + bad + bad + bad);  // five-byte form
  EXPECT_EQ(validUtf8("\xE2\x82\xAC\xE2"), "\xE2\x82\xAC" + bad);
}

TEST(Utf8Text, ControlsButTabAreEscapedInALine) {
  EXPECT_EQ(cleanLine("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(cleanLine(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(cleanLine("one\ntwo\r\n"), "one\\x0atwo\\x0d\\x0a");
  EXPECT_EQ(cleanLine("del\x7f"), "del\\x7f");
  EXPECT_EQ(cleanLine("c1\xC2\x9B" "2J"), "c1\\x9b2J");  // CSI as a C1 code point
  EXPECT_EQ(cleanLine("\xC2\x85next"), "\\x85next");      // NEL
  EXPECT_EQ(cleanLine("a\tb"), "a\tb");
}

TEST(Utf8Text, LinesKeepLineFeedsAndMakeCrLfOne) {
  EXPECT_EQ(cleanLines("one\r\ntwo\nthree\r"), "one\ntwo\nthree\\x0d");
  EXPECT_EQ(cleanLines("bell\a\n"), "bell\\x07\n");
}

TEST(Utf8Text, ValidUtf8KeepsControls) {
  EXPECT_EQ(validUtf8(std::string("\r\n\x1b\0\xC2\x85", 6)), std::string("\r\n\x1b\0\xC2\x85", 6));
}

TEST(Utf8Text, TheCapCutsBetweenCodePointsAndNeverInsideAnEscape) {
  std::string euro = "\xE2\x82\xAC";
  EXPECT_EQ(cleanLine("abcdef", 3), "abc");
  EXPECT_EQ(cleanLine(euro + euro, 5), euro);
  EXPECT_EQ(cleanLine(euro + euro, 6), euro + euro);
  EXPECT_EQ(cleanLine("ab\x1b", 4), "ab");         // the escape needs 4 bytes
  EXPECT_EQ(cleanLine("ab\x1b", 6), "ab\\x1b");
  EXPECT_EQ(cleanLine("a\xFF", 3), "a");           // U+FFFD needs 3
  EXPECT_EQ(cleanLine("a\xFF", 4), "a" + bad);
  EXPECT_EQ(cleanLine("anything", 0), "");
  std::string huge(10'000'000, '\xFF');
  EXPECT_EQ(cleanLine(huge, 1024).size(), 1023u);  // 341 replacements; the input is not all read
}

TEST(Utf8Text, CutAtBacksUpToTheStartOfACharacter) {
  std::string text = "ab\xE2\x82\xAC" "cd";
  EXPECT_EQ(utf8CutAt(text, 100), text.size());
  EXPECT_EQ(utf8CutAt(text, 2), 2u);
  EXPECT_EQ(utf8CutAt(text, 3), 2u);
  EXPECT_EQ(utf8CutAt(text, 4), 2u);
  EXPECT_EQ(utf8CutAt(text, 5), 5u);
  EXPECT_EQ(utf8CutAt(std::string(10, '\x80'), 8), 5u);  // not UTF-8: at most three back
}

}  // namespace
}  // namespace checker
