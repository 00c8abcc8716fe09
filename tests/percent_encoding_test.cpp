// URL percent-encoding (common/percent_encoding.h): what is escaped, that
// every byte round-trips, and which escapes are refused.
#include <gtest/gtest.h>

#include <string>

#include "common/percent_encoding.h"

namespace checker {
namespace {

TEST(PercentEncoding, EveryByteRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string encoded = percentEncode(all);
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
  Result<std::string> decoded = percentDecode(encoded);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, all);
  for (const std::string& text : {std::string(), std::string("web2"), std::string("caf\xc3\xa9 & co=x%y+z")}) {
    Result<std::string> back = percentDecode(percentEncode(text));
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, text);
  }
}

TEST(PercentEncoding, UnreservedStayReservedAreEscapedInUppercase) {
  EXPECT_EQ(percentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percentEncode(":/?#[]@!$&'()*+,;="), "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D");
  EXPECT_EQ(percentEncode("a b%"), "a%20b%25");
  EXPECT_EQ(percentEncode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(percentEncode("http:http://127.0.0.1/a b"), "http%3Ahttp%3A%2F%2F127.0.0.1%2Fa%20b");
}

TEST(PercentEncoding, DecodesEitherCaseAndLeavesPlusAlone) {
  EXPECT_EQ(*percentDecode("%41%2f%2F"), "A//");
  EXPECT_EQ(*percentDecode("%c3%A9"), "\xc3\xa9");
  EXPECT_EQ(*percentDecode("a+b"), "a+b");  // a space is written %20, never '+'
  EXPECT_EQ(*percentDecode("plain"), "plain");
  EXPECT_EQ(*percentDecode(""), "");
}

TEST(PercentEncoding, NulDecodesToANulByte) {
  Result<std::string> decoded = percentDecode("a%00b");
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, std::string("a\0b", 3));
  EXPECT_EQ(percentEncode(std::string("\0", 1)), "%00");
}

TEST(PercentEncoding, MalformedEscapesAreRefused) {
  for (const char* bad : {"%zz", "%4", "abc%", "%", "%%41", "%g0", "%0g", "a%4"}) {
    Result<std::string> decoded = percentDecode(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error(), "bad %-escape") << bad;
  }
}

TEST(PercentEncoding, HexDigitValue) {
  EXPECT_EQ(hexDigitValue('0'), 0);
  EXPECT_EQ(hexDigitValue('9'), 9);
  EXPECT_EQ(hexDigitValue('a'), 10);
  EXPECT_EQ(hexDigitValue('F'), 15);
  EXPECT_EQ(hexDigitValue('g'), -1);
  EXPECT_EQ(hexDigitValue('%'), -1);
  EXPECT_EQ(hexDigitValue('\0'), -1);
}

}  // namespace
}  // namespace checker
