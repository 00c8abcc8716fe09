#include "mailer/mail_message.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "common/base64.h"
#include "common/utf8_text.h"

namespace checker::mailer {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kFoldAt = 78;  // RFC 5322 2.1.1: SHOULD; 998 is the MUST

bool isAlnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Header text: every run of CR/LF becomes one space, any other control
// character a space, so a value can never end its header line early.
std::string headerText(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = value[i];
    if (c == '\r' || c == '\n') {
      while (i + 1 < value.size() && (value[i + 1] == '\r' || value[i + 1] == '\n')) ++i;
      out += ' ';
    } else {
      out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
    }
  }
  return out;
}

// Addresses: control characters (CR, LF above all) are dropped, not spaced;
// validMailbox has refused such addresses already, this is the last guard.
std::string addressText(const std::string& address) {
  std::string out;
  for (unsigned char c : address)
    if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
  return out;
}

// NAME: VALUE folded (RFC 5322 2.2.3) before a space that is followed by a
// non-space, so no line is whitespace only and unfolding gives VALUE back.
// A single word longer than a line stays whole: callers keep words short.
std::string foldedHeader(const std::string& name, const std::string& value) {
  std::vector<std::string> chunks{name + ": "};
  for (size_t i = 0; i < value.size(); ++i) {
    bool breakable = i > 0 && value[i] == ' ' && i + 1 < value.size() && value[i + 1] != ' ';
    if (breakable) chunks.emplace_back();
    chunks.back() += value[i];
  }
  std::string out, line = chunks.front();
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (line.size() + chunks[i].size() > kFoldAt) {
      out += line;
      out += kCrlf;
      line.clear();
    }
    line += chunks[i];
  }
  return out + line + std::string(kCrlf);
}

// Plain ASCII goes out as it is (folded); anything else, or text that a
// reader would take for an encoded-word ("=?"), or a word too long to fold
// under 998, goes out as RFC 2047 encoded-words.
bool sendsAsIs(const std::string& text) {
  size_t word = 0;
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
    word = c == ' ' ? 0 : word + 1;
    if (word > 900) return false;
  }
  return text.find("=?") == std::string::npos;
}

// "=?UTF-8?B?...?=" words of at most 42 octets of text (56 base64 chars, 68
// with the frame: "Subject: " + one word is 77), cut between UTF-8
// characters as RFC 2047 5 requires. The space between two encoded-words is
// dropped by decoders, so the cuts add nothing to the text.
std::string encodedWordsHeader(const std::string& name, const std::string& text) {
  constexpr size_t kChunk = 42;
  std::string out = name + ":";
  for (size_t i = 0; i < text.size();) {
    size_t end = std::min(i + kChunk, text.size());
    // Back off over continuation bytes (at most 3: longer runs are not UTF-8).
    for (size_t back = 0; back < 3 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80; ++back)
      --end;
    if (i > 0) out += kCrlf;
    out += " =?UTF-8?B?" + base64Encode(std::string_view(text).substr(i, end - i)) + "?=";
    i = end;
  }
  return out + std::string(kCrlf);
}

std::string subjectHeader(const std::string& subject) {
  std::string text = headerText(subject);
  return sendsAsIs(text) ? foldedHeader("Subject", text) : encodedWordsHeader("Subject", text);
}

// The token's letters and digits only (it is meant to be hex), capped.
std::string tokenText(const std::string& token, size_t max) {
  std::string out;
  for (unsigned char c : token)
    if (isAlnum(c) && out.size() < max) out += static_cast<char>(c);
  return out;
}

// servername as a dot-atom for the Message-ID's id-right, in hostname shape:
// labels of letters, digits and single hyphens; anything else (spaces,
// UTF-8, punctuation) becomes a hyphen; empty labels are dropped.
std::string messageIdHost(const std::string& serverName) {
  std::string out, label;
  auto endLabel = [&] {
    while (!label.empty() && label.back() == '-') label.pop_back();
    if (!label.empty() && out.size() + label.size() < 253) out += (out.empty() ? "" : ".") + label;
    label.clear();
  };
  for (unsigned char c : serverName) {
    if (c == '.') {
      endLabel();
    } else if (isAlnum(c)) {
      label += static_cast<char>(c);
    } else if (!label.empty() && label.back() != '-') {
      label += '-';
    }
  }
  endLabel();
  return out.empty() ? "localhost" : out;
}

std::string messageId(const ComposeInput& in) {
  std::string token = tokenText(in.uniqueToken, 64);
  std::string left = (token.empty() ? "" : token + ".") + std::to_string(in.entryId);
  return "<" + left + "@" + messageIdHost(in.serverName) + ">";
}

std::string hex2(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return {'=', kHex[c >> 4], kHex[c & 15]};
}

// One line of text (no line break in it) as quoted-printable lines of at
// most 76 octets (RFC 2045 6.7), soft breaks never inside an =XX escape.
void appendQuotedPrintable(std::string_view line, std::string& out) {
  std::string current;
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = line[i];
    bool lastOfLine = i + 1 == line.size();
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !lastOfLine);
    std::string token = literal ? std::string(1, static_cast<char>(c)) : hex2(c);
    if (current.size() + token.size() > 75) {
      out += current + "=" + std::string(kCrlf);
      current.clear();
    }
    current += token;
  }
  out += current;
  out += kCrlf;
}

// The body with every line end (CRLF, bare LF, bare CR) as CRLF and every
// line quoted-printable. Not dot-stuffed: libcurl does that on upload, and
// doing it here too would double the dots.
std::string quotedPrintableBody(const std::string& body) {
  std::string out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find_first_of("\r\n", start);
    if (end == std::string::npos) end = body.size();
    appendQuotedPrintable(std::string_view(body).substr(start, end - start), out);
    if (end + 1 < body.size() && body[end] == '\r' && body[end + 1] == '\n') ++end;
    start = end + 1;
  }
  return out;
}

Result<> validLocalPart(const std::string& local) {
  static constexpr std::string_view kAtextPunct = "!#$%&'*+-/=?^_`{|}~";
  if (local.empty() || local.size() > 64) return Error{"the part before @ must be 1 to 64 characters"};
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos)
    return Error{"dots in the part before @ must sit between characters"};
  for (unsigned char c : local)
    if (!isAlnum(c) && c != '.' && kAtextPunct.find(static_cast<char>(c)) == std::string_view::npos)
      return Error{"the part before @ has a character not allowed here"};
  return {};
}

Result<> validDomain(const std::string& domain) {
  if (domain.empty() || domain.size() > 253) return Error{"the domain must be 1 to 253 characters"};
  size_t start = 0;
  while (start <= domain.size()) {
    size_t end = std::min(domain.find('.', start), domain.size());
    std::string_view label = std::string_view(domain).substr(start, end - start);
    if (label.empty() || label.size() > 63) return Error{"the domain has an empty or too long label"};
    if (label.front() == '-' || label.back() == '-') return Error{"a domain label starts or ends with '-'"};
    for (unsigned char c : label)
      if (!isAlnum(c) && c != '-') return Error{"the domain has a character other than letters, digits, '-', '.'"};
    start = end + 1;
  }
  return {};
}

}  // namespace

std::string rfc5322Date(int64_t unixMs) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t seconds = unixMs / 1000 - (unixMs % 1000 < 0 ? 1 : 0);  // floor, also before 1970
  time_t t = static_cast<time_t>(seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday], utc.tm_mday,
                kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

// Why quoted-printable and not 8bit: 8bit is only allowed to a server that
// offers 8BITMIME and with BODY=8BITMIME on MAIL FROM, which libcurl does not
// send; QP is 7-bit clean everywhere, keeps lines under 998 by soft breaks
// (no rewrapping of the supervisor's text) and leaves ASCII alerts readable.
//
// bustGmailThreading: Gmail threads by subject, whatever the Message-ID
// says, so the original appended random.random() to every subject. We
// append " #" and the first 8 characters of the token instead: unique
// enough per alert, short, and the subject stays readable. The Message-ID is
// unique either way and there are never References / In-Reply-To.
std::string composeMessage(const ComposeInput& in) {
  // The header says charset=UTF-8, so it must be: the supervisor cleans what
  // jobs and peers wrote before it is stored, but an outbox entry may be
  // older than that, or from an older checker.
  std::string subject = validUtf8(in.subject);
  if (in.bustGmailThreading) {
    std::string token = tokenText(in.uniqueToken, 8);
    subject += " #" + (token.empty() ? std::to_string(in.entryId) : token);
  }
  std::string to;
  for (const std::string& address : in.to) to += (to.empty() ? "" : ", ") + addressText(address);
  if (to.empty()) to = "undisclosed-recipients:;";  // a To header needs a value

  std::string message;
  message += "Date: " + rfc5322Date(in.nowUnixMs) + std::string(kCrlf);
  message += foldedHeader("From", addressText(in.from));
  message += foldedHeader("To", to);
  message += subjectHeader(subject);
  message += "Message-ID: " + messageId(in) + std::string(kCrlf);
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=UTF-8\r\n";
  message += "Content-Transfer-Encoding: quoted-printable\r\n";
  message += "Auto-Submitted: auto-generated\r\n";
  message += kCrlf;
  message += quotedPrintableBody(validUtf8(in.body));
  return message;
}

Result<> validMailbox(const std::string& address) {
  if (address.size() > 254) return Error{"longer than 254 characters"};
  size_t at = address.rfind('@');
  if (at == std::string::npos) return Error{"no '@'"};
  if (address.find('@') != at) return Error{"more than one '@'"};
  if (Result<> local = validLocalPart(address.substr(0, at)); !local) return local;
  return validDomain(address.substr(at + 1));
}

}  // namespace checker::mailer
