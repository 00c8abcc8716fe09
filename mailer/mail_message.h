#pragma once
// One outbox entry as the bytes of an RFC 5322 message: what libcurl uploads
// after MAIL FROM / RCPT TO. Pure: the clock and the randomness come in.
//
// The message, CRLF line endings throughout, headers in this order:
//   Date: Tue, 14 Nov 2023 22:13:20 +0000        (UTC, RFC 5322 3.3)
//   From: ADDRESS
//   To: ADDRESS, ADDRESS                         (folded at ", " when long)
//   Subject: TEXT                                (RFC 2047 B words when not plain ASCII)
//   Message-ID: <TOKEN.ENTRYID@HOST>             (HOST: servername as a dot-atom, else localhost)
//   MIME-Version: 1.0
//   Content-Type: text/plain; charset=UTF-8
//   Content-Transfer-Encoding: quoted-printable
//   Auto-Submitted: auto-generated               (RFC 3834: no vacation replies to alerts)
//   <empty line>
//   BODY                                         (quoted-printable, lines <= 76 octets)
// No References / In-Reply-To: every alert starts its own thread as far as
// headers go. With bustGmailThreading the subject also ends in " #TOKEN8"
// (see composeMessage).
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace checker::mailer {

struct ComposeInput {
  std::string from;             // the instance's address ([email] user)
  std::vector<std::string> to;  // one or more recipients
  std::string subject;          // as the supervisor wrote it; framed, never rewritten
  std::string body;             // UTF-8 text; any of LF, CR, CRLF as line ends
  uint64_t entryId = 0;         // the outbox entry: part of the Message-ID
  std::string serverName;       // [general] servername: the Message-ID's right side
  int64_t nowUnixMs = 0;        // the Date header
  std::string uniqueToken;      // random hex from the caller: Message-ID, gmail busting
  bool bustGmailThreading = false;
};

// The whole message (headers, empty line, body), CRLF line endings, ending
// in CRLF. CR, LF and other control characters in header values never start
// a new header line: they become spaces (subject) or are dropped (addresses).
// Subject and body that are not valid UTF-8 have each bad sequence replaced
// by U+FFFD (common/utf8_text.h): the message says charset=UTF-8.
std::string composeMessage(const ComposeInput& input);

// "Tue, 14 Nov 2023 22:13:20 +0000": RFC 5322 date-time in UTC, English
// names whatever the locale.
std::string rfc5322Date(int64_t unixMs);

// A conservative check before an address reaches libcurl (RCPT TO) or a
// header: local@domain, ASCII dot-atom local part of 1..64, a domain of
// letter/digit/hyphen labels, 254 octets at most; no spaces, quotes, angle
// brackets, CR or LF. An Error says what is wrong with it.
Result<> validMailbox(const std::string& address);

}  // namespace checker::mailer
