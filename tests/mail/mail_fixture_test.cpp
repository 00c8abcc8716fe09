// Proves the mail fixture (tests/mail/mail_servers.sh): submission with
// STARTTLS + AUTH and with implicit TLS delivers into the IMAP mailbox the
// reader sees; a wrong password and an unknown recipient are refused.
// Mailbox users: u1 sends; u2, u3, u4 receive (u5: mail_smtp_down_test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "mail/smtp_send.h"
#include "support/mail_fixture.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;

std::string uniqueSubject(const std::string& what) {
  return what + " " + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

SmtpOptions submissionAs(const MailFixture& mail, int from, int to) {
  SmtpOptions o;
  o.url = "smtp://" + mail.host + ":" + std::to_string(mail.submissionPort);
  o.caFile = mail.caFile;
  o.username = mail.user(from);
  o.password = mail.password(from);
  o.from = mail.address(from);
  o.to = mail.address(to);
  return o;
}

TEST(EmailFixture, SubmissionWithStartTlsDeliversToTheImapMailbox) {
  MailFixture mail = MailFixture::load();
  EXPECT_EQ(mail.host, "localhost");
  EXPECT_EQ(mail.users, 45);
  EXPECT_EQ(mail.address(2), "u2@localhost");
  mail.clearMailbox(2);

  const std::string subject = uniqueSubject("fixture smoke STARTTLS");
  SmtpOptions o = submissionAs(mail, 1, 2);
  SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, subject, "first line\r\nsecond line"));
  ASSERT_EQ(sent.code, CURLE_OK) << sent.error;
  EXPECT_EQ(sent.response, 250);

  MailMessage m;
  ASSERT_TRUE(mail.waitForMessage(2, subject, 10s, &m));
  EXPECT_EQ(m.subject, subject);
  EXPECT_NE(m.raw.find("second line"), std::string::npos) << m.raw;
  EXPECT_NE(m.raw.find("with ESMTPSA"), std::string::npos) << "submitted over TLS with AUTH:\n" << m.raw;

  auto all = mail.fetchAll(2);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].subject, subject);

  mail.clearMailbox(2);
  EXPECT_TRUE(mail.fetchAll(2).empty());
  EXPECT_FALSE(mail.waitForMessage(2, subject, 100ms, nullptr));
}

TEST(EmailFixture, SmtpsWithImplicitTlsDelivers) {
  MailFixture mail = MailFixture::load();
  const std::string subject = uniqueSubject("fixture smoke SMTPS");
  SmtpOptions o = submissionAs(mail, 1, 3);
  o.url = "smtps://" + mail.host + ":" + std::to_string(mail.smtpsPort);
  SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, subject, "over implicit TLS"));
  ASSERT_EQ(sent.code, CURLE_OK) << sent.error;
  MailMessage m;
  ASSERT_TRUE(mail.waitForMessage(3, subject, 10s, &m));
  EXPECT_NE(m.raw.find("over implicit TLS"), std::string::npos);
}

TEST(EmailFixture, CertificateIsVerifiedAgainstTheFixtureCa) {
  MailFixture mail = MailFixture::load();
  SmtpOptions o = submissionAs(mail, 1, 4);
  o.caFile.clear();  // the system's CAs do not know the fixture's CA
  SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, uniqueSubject("never sent"), "x"));
  EXPECT_EQ(sent.code, CURLE_PEER_FAILED_VERIFICATION) << sent.error;
}

TEST(EmailFixture, WrongPasswordIsRefused) {
  MailFixture mail = MailFixture::load();
  SmtpOptions o = submissionAs(mail, 1, 4);
  o.password = "not-" + o.password;
  SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, uniqueSubject("never sent"), "x"));
  EXPECT_EQ(sent.code, CURLE_LOGIN_DENIED) << sent.error;
  EXPECT_EQ(sent.response, 535);
}

TEST(EmailFixture, UnknownRecipientGetsA5xx) {
  MailFixture mail = MailFixture::load();
  ASSERT_EQ(mail.rejectAddress, "nobody-here@localhost");
  SmtpOptions o = submissionAs(mail, 1, 4);
  o.to = mail.rejectAddress;
  SmtpResult sent = smtpSend(o, smtpMessage(o.from, o.to, uniqueSubject("never sent"), "x"));
  EXPECT_EQ(sent.code, CURLE_SEND_ERROR) << sent.error;  // RCPT failed
  EXPECT_EQ(sent.response, 550);
}

}  // namespace
}  // namespace checker::test
