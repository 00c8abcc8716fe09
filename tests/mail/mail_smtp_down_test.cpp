// mail_servers.sh smtp-down / smtp-up: with OpenSMTPD down, submission
// answers 4xx; once it is up again, mail is delivered. RUN_SERIAL (it takes
// the relay away from every other mail test). Mailbox user: u5.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mail/smtp_send.h"
#include "support/mail_fixture.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;

// Brings OpenSMTPD back on every path out of the test.
struct SmtpBackUp {
  const MailFixture& mail;
  ~SmtpBackUp() {
    try {
      mail.smtpUp();
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
};

TEST(EmailSmtpDown, SubmissionRefusesTransientlyWhileDownAndDeliversWhenUp) {
  MailFixture mail = MailFixture::load();
  SmtpOptions o;
  o.url = "smtp://" + mail.host + ":" + std::to_string(mail.submissionPort);
  o.caFile = mail.caFile;
  o.username = mail.user(1);
  o.password = mail.password(1);
  o.from = mail.address(1);
  o.to = mail.address(5);

  {
    mail.smtpDown();
    SmtpBackUp backUp{mail};
    SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, "while down", "x"));
    EXPECT_NE(sent.code, CURLE_OK) << mail.serverLogs();
    // Dovecot answers 421 at MAIL FROM; once, under load, it closed the
    // connection after AUTH (235) with no answer at all. Both are
    // transient to the mailer (retried); a 5xx would be final, and wrong.
    EXPECT_LT(sent.response, 500) << sent.error << "\n" << mail.serverLogs();
  }

  const std::string subject = "after smtp-up " +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, subject, "back"));
  ASSERT_EQ(sent.code, CURLE_OK) << sent.error << "\n" << mail.serverLogs();
  EXPECT_TRUE(mail.waitForMessage(5, subject, 10s, nullptr)) << mail.serverLogs();
  EXPECT_FALSE(mail.waitForMessage(5, "while down", 0ms, nullptr)) << mail.serverLogs();
}

}  // namespace
}  // namespace checker::test
