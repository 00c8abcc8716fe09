#pragma once
// The real mail servers of the CTest fixture "mail" (tests/mail/
// mail_servers.sh, started once per ctest run), as the tests see them:
// where they listen, the mailbox users, and an IMAP reader to check what
// arrived. The reader is libcurl over IMAPS with certificate verification on,
// independent of the mailer's code: tests never check the mailer with itself.
//
// A test that needs them is registered with checker_mail_test() (tests/mail/
// CMakeLists.txt), which adds FIXTURES_REQUIRED mail. Tests run in parallel
// against the same servers, so each test uses mailbox users (recipients) of
// its own: the list of who uses which is in tests/mail/CMakeLists.txt.
//
//   auto mail = checker::test::MailFixture::load();
//   ... make the mailer send to mail.address(7) over mail.submissionPort ...
//   checker::test::MailMessage m;
//   ASSERT_TRUE(mail.waitForMessage(7, "CRITICAL web1", std::chrono::seconds(10), &m));
#include <chrono>
#include <string>
#include <vector>

namespace checker::test {

struct MailMessage {
  unsigned long uid = 0;  // IMAP UID in INBOX
  std::string subject;    // the Subject header, unfolded, not MIME-decoded
  std::string raw;        // the whole message as stored, headers and body
};

struct MailFixture {
  using Message = MailMessage;

  std::string dir;            // the fixture's directory (<build>/mail-fixture)
  std::string host;           // "localhost": the certificate's name
  int smtpPort = 0;           // OpenSMTPD, plain SMTP, no AUTH (the relay)
  int submissionPort = 0;     // Dovecot submission: STARTTLS + AUTH (port-587 shape)
  int smtpsPort = 0;          // Dovecot submission: implicit TLS + AUTH (port-465 shape)
  int imapPort = 0;           // IMAP with STARTTLS
  int imapsPort = 0;          // IMAP over implicit TLS
  std::string caFile;         // the CA that signed the servers' certificate
  int users = 0;              // mailbox users 1..users exist
  std::string rejectAddress;  // refused with 550 at RCPT (5xx, permanent)

  // Reads <dir>/env. Without an argument: $CHECKER_MAIL_FIXTURE_DIR if set,
  // else the build tree's fixture directory. Throws std::runtime_error with a
  // hint when the fixture is not running.
  static MailFixture load();
  static MailFixture load(const std::string& fixtureDir);

  std::string user(int n) const;      // "uN"
  std::string password(int n) const;  // "pw-uN"
  std::string address(int n) const;   // "uN@localhost"

  // Every message in user N's INBOX, oldest first. Throws std::runtime_error
  // if IMAP fails.
  std::vector<Message> fetchAll(int n) const;

  // How many messages in user N's INBOX have SUBJECTSUBSTRING in their
  // subject, now.
  size_t countMessages(int n, const std::string& subjectSubstring) const;

  // Polls user N's INBOX every 50 ms until a message whose subject contains
  // SUBJECTSUBSTRING is there (true, copied to *OUT if given) or TIMEOUT has
  // passed (false).
  bool waitForMessage(int n, const std::string& subjectSubstring,
                      std::chrono::milliseconds timeout, Message* out = nullptr) const;

  // Deletes and expunges everything in user N's INBOX.
  void clearMailbox(int n) const;

  // Makes mailbox FOLDER for user N (nothing if it exists).
  void createFolder(int n, const std::string& folder) const;

  // OpenSMTPD down / up again (mail_servers.sh smtp-down / smtp-up). While it
  // is down, Dovecot's submission accepts the connection and AUTH but answers
  // "421 4.4.0 Failed to connect to relay server" at MAIL FROM. It affects
  // every test: only for tests registered with checker_mail_test(... SERIAL).
  void smtpDown() const;
  void smtpUp() const;

  // The last LINES lines of the servers' logs (OpenSMTPD, Dovecot), to
  // explain a failure: EXPECT_...(...) << mail.serverLogs();
  std::string serverLogs(int lines = 20) const;
};

}  // namespace checker::test
