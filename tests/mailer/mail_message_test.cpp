// mailer/mail_message.h: the bytes of one alert mail. The decoders here are
// written independently of the encoder, so a round trip proves the format,
// not the encoder's agreement with itself.
#include "mailer/mail_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "support/quoted_printable.h"

namespace checker::mailer {
namespace {

using checker::test::decodeQuotedPrintable;

using ::testing::HasSubstr;
using ::testing::Not;

ComposeInput alert() {
  ComposeInput in;
  in.from = "checker@example.org";
  in.to = {"ops@example.org", "admin@example.net"};
  in.subject = "[web1] web is failing: connection refused";
  in.body = "Job: web (http:example.org)\nMessage: expected=200\n";
  in.entryId = 42;
  in.serverName = "web1";
  in.nowUnixMs = 1'700'000'000'000;  // Tue, 14 Nov 2023 22:13:20 UTC
  in.uniqueToken = "0123456789abcdef";
  return in;
}

struct Parsed {
  std::vector<std::string> rawHeaderLines;        // as on the wire, folded
  std::map<std::string, std::string> headers;     // unfolded values
  std::vector<std::string> headerNames;           // in order
  std::string body;                               // after the empty line
};

std::vector<std::string> splitCrlf(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find("\r\n", start)) != std::string::npos; start = end + 2)
    lines.push_back(text.substr(start, end - start));
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

Parsed parse(const std::string& message) {
  Parsed p;
  size_t split = message.find("\r\n\r\n");
  EXPECT_NE(split, std::string::npos) << message;
  p.rawHeaderLines = splitCrlf(message.substr(0, split + 2));
  p.body = message.substr(split + 4);
  std::string last;
  for (const std::string& line : p.rawHeaderLines) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      p.headers[last] += line;  // unfolding removes only the CRLF
      continue;
    }
    size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << "not a header line: " << line;
    last = line.substr(0, colon);
    p.headerNames.push_back(last);
    EXPECT_EQ(p.headers.count(last), 0u) << "header twice: " << last;
    p.headers[last] = line.substr(colon + 2);
  }
  return p;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string decodeBase64(const std::string& text) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = base64Value(c);
    if (v < 0) continue;  // '=' padding
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

// RFC 2047 decoding of an unfolded value: encoded-words (B, UTF-8 only here),
// whitespace between two adjacent encoded-words ignored.
std::string decodeEncodedWords(const std::string& value) {
  std::string out, pendingSpace;
  bool lastWasEncoded = false;
  size_t i = 0;
  while (i < value.size()) {
    if (value.compare(i, 10, "=?UTF-8?B?") == 0) {
      size_t end = value.find("?=", i + 10);
      EXPECT_NE(end, std::string::npos);
      if (!lastWasEncoded) out += pendingSpace;
      pendingSpace.clear();
      out += decodeBase64(value.substr(i + 10, end - i - 10));
      i = end + 2;
      lastWasEncoded = true;
    } else if (value[i] == ' ' || value[i] == '\t') {
      pendingSpace += value[i++];
    } else {
      out += pendingSpace;
      pendingSpace.clear();
      out += value[i++];
      lastWasEncoded = false;
    }
  }
  return out + pendingSpace;
}

// Every line end is CRLF: no CR without LF after it, no LF without CR before.
bool onlyCrlfLineEnds(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
  }
  return true;
}

size_t longestLine(const std::string& message) {
  size_t longest = 0;
  for (const std::string& line : splitCrlf(message)) longest = std::max(longest, line.size());
  return longest;
}

TEST(MailMessage, PlainAsciiAlertHasExactHeadersInOrder) {
  std::string expected =
      "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
      "From: checker@example.org\r\n"
      "To: ops@example.org, admin@example.net\r\n"
      "Subject: [web1] web is failing: connection refused\r\n"
      "Message-ID: <0123456789abcdef.42@web1>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "Auto-Submitted: auto-generated\r\n"
      "\r\n"
      "Job: web (http:example.org)\r\n"
      "Message: expected=3D200\r\n";
  EXPECT_EQ(composeMessage(alert()), expected);
}

TEST(MailMessage, DateIsRfc5322InUtc) {
  EXPECT_EQ(rfc5322Date(1'700'000'000'000), "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(rfc5322Date(1'700'000'000'999), "Tue, 14 Nov 2023 22:13:20 +0000");  // ms truncated
  EXPECT_EQ(rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322Date(951'782'400'000), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(rfc5322Date(-1), "Wed, 31 Dec 1969 23:59:59 +0000");  // floor, not toward zero
}

TEST(MailMessage, Utf8SubjectIsEncodedFoldedAndDecodable) {
  ComposeInput in = alert();
  in.subject = "[wébserveur] Überprüfung fehlgeschlagen: 証明書の有効期限が切れます — délai dépassé après 30 s";
  std::string message = composeMessage(in);
  Parsed p = parse(message);
  for (const std::string& line : p.rawHeaderLines) {
    EXPECT_LE(line.size(), 78u) << line;
    for (unsigned char c : line) EXPECT_LT(c, 0x80) << "raw 8-bit in a header: " << line;
  }
  EXPECT_THAT(p.headers["Subject"], HasSubstr("=?UTF-8?B?"));
  EXPECT_EQ(decodeEncodedWords(p.headers["Subject"]), in.subject);
}

TEST(MailMessage, TextThatLooksLikeAnEncodedWordIsEncodedToo) {
  ComposeInput in = alert();
  in.subject = "literal =?UTF-8?B?SGk=?= text";
  Parsed p = parse(composeMessage(in));
  EXPECT_EQ(decodeEncodedWords(p.headers["Subject"]), in.subject);
}

TEST(MailMessage, LongAsciiSubjectIsFoldedAndUnfoldsToTheSame) {
  ComposeInput in = alert();
  in.subject = "[web1] ";
  for (int i = 0; i < 20; ++i) in.subject += "word" + std::to_string(i) + " ";
  in.subject += "end";
  Parsed p = parse(composeMessage(in));
  EXPECT_GT(p.rawHeaderLines.size(), 9u);  // Subject took more than one line
  for (const std::string& line : p.rawHeaderLines) EXPECT_LE(line.size(), 78u) << line;
  EXPECT_EQ(p.headers["Subject"], in.subject);
}

TEST(MailMessage, ManyRecipientsAreFoldedAtCommas) {
  ComposeInput in = alert();
  in.to.clear();
  for (int i = 0; i < 10; ++i) in.to.push_back("someone" + std::to_string(i) + "@example.org");
  Parsed p = parse(composeMessage(in));
  for (const std::string& line : p.rawHeaderLines) EXPECT_LE(line.size(), 78u) << line;
  EXPECT_EQ(p.headers["To"],
            "someone0@example.org, someone1@example.org, someone2@example.org, someone3@example.org, "
            "someone4@example.org, someone5@example.org, someone6@example.org, someone7@example.org, "
            "someone8@example.org, someone9@example.org");
}

TEST(MailMessage, CrLfInSubjectNeverStartsAHeader) {
  for (std::string evil : {"down\r\nBcc: victim@example.com", "down\nBcc: victim@example.com",
                           "down\rBcc: victim@example.com", "down\r\n\r\nfake body", "down\r\n Bcc: x@y"}) {
    ComposeInput in = alert();
    in.subject = evil;
    std::string message = composeMessage(in);
    Parsed p = parse(message);
    EXPECT_TRUE(onlyCrlfLineEnds(message)) << evil;
    EXPECT_EQ(p.headerNames, (std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                                       "Content-Type", "Content-Transfer-Encoding",
                                                       "Auto-Submitted"}))
        << evil;
    EXPECT_THAT(p.headers["Subject"], Not(HasSubstr("\r"))) << evil;
    EXPECT_EQ(p.body, "Job: web (http:example.org)\r\nMessage: expected=3D200\r\n") << evil;
  }
}

TEST(MailMessage, CrLfInAddressesNeverStartsAHeader) {
  ComposeInput in = alert();
  in.from = "checker@example.org\r\nBcc: victim@example.com";
  in.to = {"ops@example.org\nSubject: fake", "a@b\r\n\r\nbody"};
  std::string message = composeMessage(in);
  Parsed p = parse(message);
  EXPECT_TRUE(onlyCrlfLineEnds(message));
  EXPECT_EQ(p.headerNames.size(), 9u);
  EXPECT_EQ(p.headers.count("Bcc"), 0u);
  EXPECT_EQ(p.headers["Subject"], "[web1] web is failing: connection refused");
  for (const std::string& line : p.rawHeaderLines) EXPECT_FALSE(line.starts_with("Bcc")) << line;
}

TEST(MailMessage, OtherControlCharactersInSubjectBecomeSpaces) {
  ComposeInput in = alert();
  in.subject = std::string("a\0b\tc\x7f" "d", 7);
  Parsed p = parse(composeMessage(in));
  EXPECT_EQ(p.headers["Subject"], "a b c d");
}

TEST(MailMessage, LongBodyLinesStayUnder998AndDecode) {
  ComposeInput in = alert();
  std::string longLine(5000, 'x');
  longLine[100] = '=';
  longLine += "é";
  in.body = "short\n" + longLine + "\nafter\n";
  std::string message = composeMessage(in);
  EXPECT_LE(longestLine(message), 76u);
  Parsed p = parse(message);
  EXPECT_EQ(decodeQuotedPrintable(p.body), "short\r\n" + longLine + "\r\nafter\r\n");
}

TEST(MailMessage, Utf8AndTrailingSpacesInBodyAreQuotedPrintable) {
  ComposeInput in = alert();
  in.body = "Größe: 5 GiB  \nTab at end\t\n";
  std::string message = composeMessage(in);
  for (unsigned char c : message) EXPECT_LT(c, 0x80);  // 7-bit clean
  Parsed p = parse(message);
  EXPECT_EQ(p.body, "Gr=C3=B6=C3=9Fe: 5 GiB =20\r\nTab at end=09\r\n");
  EXPECT_EQ(decodeQuotedPrintable(p.body), "Größe: 5 GiB  \r\nTab at end\t\r\n");
}

TEST(MailMessage, InvalidUtf8InSubjectAndBodyGoesOutAsReplacementCharacters) {
  // An outbox entry from before checkerd cleaned job text: the message
  // says charset=UTF-8, so its decoded subject and body must be UTF-8.
  const std::string bad = "\xEF\xBF\xBD";
  ComposeInput in = alert();
  in.subject = "disk \xff\xfe full \xe2\x82";
  in.body = "Message: \xc0\xaf\xed\xa0\x80 ok \xc3\xa9\nend \xf4\x90\x80\x80\n";
  Parsed p = parse(composeMessage(in));
  EXPECT_EQ(decodeEncodedWords(p.headers["Subject"]), "disk " + bad + bad + " full " + bad);
  EXPECT_EQ(decodeQuotedPrintable(p.body),
            "Message: " + bad + bad + bad + bad + bad + " ok \xc3\xa9\r\nend " + bad + bad + bad + bad + "\r\n");
}

TEST(MailMessage, BareLfAndBareCrBecomeCrlf) {
  ComposeInput in = alert();
  in.body = "lf\ncr\rcrlf\r\nlflf\n\nend";
  std::string message = composeMessage(in);
  EXPECT_TRUE(onlyCrlfLineEnds(message));
  EXPECT_EQ(parse(message).body, "lf\r\ncr\r\ncrlf\r\nlflf\r\n\r\nend\r\n");
}

TEST(MailMessage, BodyIsNotDotStuffed) {
  // libcurl dot-stuffs the upload; stuffing here too would double the dots.
  ComposeInput in = alert();
  in.body = ".\n..two\n";
  EXPECT_EQ(parse(composeMessage(in)).body, ".\r\n..two\r\n");
}

TEST(MailMessage, EmptyBodyStillEndsInCrlf) {
  ComposeInput in = alert();
  in.body.clear();
  std::string message = composeMessage(in);
  EXPECT_TRUE(message.ends_with("Auto-Submitted: auto-generated\r\n\r\n"));
}

// id-left and id-right both dot-atom-text (RFC 5322 3.6.4), conservatively
// letters, digits, '-' and '.' with no empty label.
bool validMessageId(const std::string& id) {
  if (id.size() < 5 || id.front() != '<' || id.back() != '>') return false;
  std::string inner = id.substr(1, id.size() - 2);
  size_t at = inner.find('@');
  if (at == std::string::npos || inner.find('@', at + 1) != std::string::npos) return false;
  for (const std::string& part : {inner.substr(0, at), inner.substr(at + 1)}) {
    if (part.empty() || part.front() == '.' || part.back() == '.' || part.find("..") != std::string::npos) return false;
    for (unsigned char c : part)
      if (!std::isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

TEST(MailMessage, MessageIdIsValidWhateverTheServerName) {
  struct Case {
    std::string serverName, expected;
  };
  for (const Case& c : std::vector<Case>{{"web1", "<0123456789abcdef.42@web1>"},
                                         {"my server ☃.example..org.", "<0123456789abcdef.42@my-server.example.org>"},
                                         {"Zürich <prod>", "<0123456789abcdef.42@Z-rich-prod>"},
                                         {"", "<0123456789abcdef.42@localhost>"},
                                         {"☃ . @ !", "<0123456789abcdef.42@localhost>"}}) {
    ComposeInput in = alert();
    in.serverName = c.serverName;
    std::string id = parse(composeMessage(in)).headers["Message-ID"];
    EXPECT_EQ(id, c.expected) << c.serverName;
    EXPECT_TRUE(validMessageId(id)) << id;
  }
  ComposeInput in = alert();
  in.uniqueToken = "ab\r\n<>@cd";  // only letters and digits of the token are used
  EXPECT_EQ(parse(composeMessage(in)).headers["Message-ID"], "<abcd.42@web1>");
}

TEST(MailMessage, BustGmailThreadingAppendsAShortTokenToTheSubject) {
  ComposeInput in = alert();
  Parsed off = parse(composeMessage(in));
  in.bustGmailThreading = true;
  Parsed on = parse(composeMessage(in));
  EXPECT_EQ(off.headers["Subject"], "[web1] web is failing: connection refused");
  EXPECT_EQ(on.headers["Subject"], "[web1] web is failing: connection refused #01234567");
  // Everything else is the same: the Message-ID is unique either way.
  EXPECT_EQ(on.headers["Message-ID"], off.headers["Message-ID"]);
  EXPECT_EQ(on.body, off.body);
  EXPECT_EQ(on.headers.count("References") + on.headers.count("In-Reply-To"), 0u);

  ComposeInput other = in;
  other.uniqueToken = "fedcba9876543210";
  EXPECT_NE(parse(composeMessage(other)).headers["Subject"], on.headers["Subject"]);

  in.uniqueToken.clear();  // still unique per entry without a token
  EXPECT_EQ(parse(composeMessage(in)).headers["Subject"], "[web1] web is failing: connection refused #42");
}

TEST(MailMessageValidMailbox, AcceptsOrdinaryAddresses) {
  for (const char* address : {"ops@example.org", "first.last+alerts@mail.example.co.uk", "root@localhost",
                              "a_b-c@sub-domain.example", "o'brien@example.ie", "x@123.example"}) {
    Result<> valid = validMailbox(address);
    EXPECT_TRUE(valid.ok()) << address << ": " << valid.error();
  }
}

TEST(MailMessageValidMailbox, RejectsWithAReason) {
  for (const std::string& address :
       {std::string(""), std::string("no-at-sign"), std::string("@example.org"), std::string("ops@"),
        std::string("two@@example.org"), std::string("a@b@example.org"), std::string("with space@example.org"),
        std::string("ops@exa mple.org"), std::string("<ops@example.org>"), std::string("Ops <ops@example.org>"),
        std::string("ops@example.org\r\nBcc: x@y"), std::string("ops\n@example.org"), std::string(".ops@example.org"),
        std::string("ops.@example.org"), std::string("o..ps@example.org"), std::string("\"quoted\"@example.org"),
        std::string("ops@-example.org"), std::string("ops@example-.org"), std::string("ops@example..org"),
        std::string("ops@example.org."), std::string("ops@[192.0.2.1]"), std::string("jörg@example.org"),
        std::string("ops@exämple.org"), std::string(65, 'a') + "@example.org",
        "ops@" + std::string(64, 'a') + ".org", std::string("ops@example.org") + std::string(1, '\0')}) {
    Result<> valid = validMailbox(address);
    EXPECT_FALSE(valid.ok()) << address;
    EXPECT_FALSE(valid.error().empty()) << address;
  }
  Result<> tooLong = validMailbox("a@" + std::string(260, 'b'));
  EXPECT_FALSE(tooLong.ok());
  EXPECT_EQ(tooLong.error(), "longer than 254 characters");
  EXPECT_EQ(validMailbox("ops").error(), "no '@'");
}

}  // namespace
}  // namespace checker::mailer
