#pragma once
// What arrived: the messages of one recipient's inbox (read over IMAPS by
// the tests' MailFixture reader, not by checker's code), decoded and
// matched against the notices that were due (expected_notices.h) and the
// outbox entries seen in the state (state_ledger.h).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/chaos/expected_notices.h"
#include "bench/chaos/state_ledger.h"
#include "support/mail_fixture.h"

namespace checker::bench {

// One distinct notice in an inbox, with how many copies arrived.
struct InboxNotice {
  std::string subject, body;  // body: quoted-printable decoded, LF line ends, no trailing line end
  std::string jobName;
  bool recovery = false;
  int64_t episodeSec = 0;  // "Failing since" / "Was failing from", unix seconds
  uint32_t failures = 0;
  size_t copies = 0;
  bool parsed = false;  // a chaos job's notice: the fields above are filled
  bool matched = false;
};

struct InboxReport {
  std::string recipient;
  size_t messages = 0;            // in the inbox
  size_t distinct = 0;            // distinct notices among them
  size_t duplicateCopies = 0;     // messages beyond the first of each notice
  size_t noticesDuplicated = 0;   // notices that arrived more than once
  size_t duplicatedNotSeen = 0;   // of them, notices not in the outbox at any kill (a resend a kill does not explain)
  size_t malformed = 0;           // not a notice of a chaos job (subject and body disagree, unparsable)
  size_t due = 0, delivered = 0;  // due notices, and of them found here
  std::vector<std::string> lost;  // due notices not found, described
  size_t unexpected = 0;          // distinct notices no recorded run accounts for
  std::vector<std::string> unexpectedExamples;
  size_t seenInOutbox = 0, seenInOutboxDelivered = 0;  // outbox entries (to this recipient) seen at kills
  std::vector<std::string> seenInOutboxLost;
};

// The body of a message as stored: after the header, quoted-printable decoded.
std::string decodedBody(const std::string& raw);

InboxReport checkInbox(const std::string& recipient, const std::vector<test::MailMessage>& messages,
                       const std::vector<ExpectedNotice>& due, const std::set<SeenNotice>& seenInOutbox,
                       const std::string& serverName);

}  // namespace checker::bench
