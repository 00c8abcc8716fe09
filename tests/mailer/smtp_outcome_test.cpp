// What an SMTP attempt's end means for the outbox (mailer/smtp_sender.h),
// and how long the outbox waits before trying again
// (supervisor/outbox_delivery.h).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include "mailer/smtp_sender.h"
#include "supervisor/outbox_delivery.h"

namespace checker::mailer {
namespace {

TEST(SmtpOutcome, AcceptedOnlyWhenTheTransferSucceeded) {
  SmtpOutcome ok = classifySmtp(CURLE_OK, 250, "");
  EXPECT_TRUE(ok.accepted);
  EXPECT_FALSE(ok.permanent);
  EXPECT_EQ(ok.serverReply, "accepted (250)");
}

TEST(SmtpOutcome, AFiveHundredReplyIsFinal) {
  // 550 at RCPT (unknown recipient) and 554 at DATA, as libcurl reports them.
  for (auto [code, reply] : {std::pair{CURLE_SEND_ERROR, 550L}, std::pair{CURLE_WRITE_ERROR, 554L}}) {
    SmtpOutcome refused = classifySmtp(code, reply, "RCPT failed: 550");
    EXPECT_FALSE(refused.accepted);
    EXPECT_TRUE(refused.permanent) << reply;
    EXPECT_NE(refused.serverReply.find("server replied " + std::to_string(reply)), std::string::npos)
        << refused.serverReply;
  }
}

TEST(SmtpOutcome, EverythingElseIsTriedAgain) {
  struct Case {
    CURLcode code;
    long reply;
  };
  for (Case c : {Case{CURLE_COULDNT_CONNECT, 0}, Case{CURLE_OPERATION_TIMEDOUT, 0}, Case{CURLE_SEND_ERROR, 451},
                 Case{CURLE_PEER_FAILED_VERIFICATION, 0}, Case{CURLE_LOGIN_DENIED, 535}, Case{CURLE_USE_SSL_FAILED, 0}}) {
    SmtpOutcome outcome = classifySmtp(c.code, c.reply, "");
    EXPECT_FALSE(outcome.accepted) << c.code;
    EXPECT_FALSE(outcome.permanent) << c.code << " " << c.reply;
    EXPECT_FALSE(outcome.serverReply.empty());
  }
}

TEST(OutboxRetry, DoublesFromOneSecondUpToFiveMinutes) {
  EXPECT_EQ(outboxRetryDelayMs(1), 1000);
  EXPECT_EQ(outboxRetryDelayMs(2), 2000);
  EXPECT_EQ(outboxRetryDelayMs(3), 4000);
  EXPECT_EQ(outboxRetryDelayMs(9), 256'000);
  EXPECT_EQ(outboxRetryDelayMs(10), 300'000);
  EXPECT_EQ(outboxRetryDelayMs(1000), 300'000);
}

}  // namespace
}  // namespace checker::mailer
