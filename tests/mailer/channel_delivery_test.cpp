// Outbox entries for webhook, Slack and ntfy channels through the real
// checker-mailer (driven over its control socket as checkerd drives it,
// tests/mailer/mailer_child.h) to a loopback HTTP receiver
// (tests/support/http_receiver.h): what arrives (body, signature,
// headers) and what each answer means for the outbox (accepted, refused
// for good, retried). `nomail` is set throughout: it is about mail and
// must not hold the channels back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "channels/webhook_payload.h"
#include "common/clock.h"
#include "common/unique_fd.h"
#include "mailer/mailer_child.h"
#include "jobs/job_test_support.h"
#include "support/http_receiver.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kMailer = std::string(CHECKER_BIN_DIR) + "/checker-mailer";
const std::string kSecret = "hook-secret-5f2a9c";
const std::string kToken = "tk_ntfy-token-81be";
constexpr auto kWait = 20s;

struct Notice {
  std::string state = "failing";
  std::string jobId = "disk check/var", jobName = "Disk /var", message = "took longer than 30 s";
};

// A ToMailer send of entry ID for CHANNEL with NOTICE's facts.
void sendEntry(MailerChild& mailer, uint64_t id, const std::string& channel, const Notice& notice = {}) {
  capnp::MallocMessageBuilder builder;
  auto entry = builder.initRoot<ipc::ToMailer>().initSend();
  entry.setId(id);
  entry.setCreatedUnixMs(wallClockNowMs());
  entry.setJobId(notice.jobId);
  entry.setSubject("[web1] " + notice.jobName + " " + notice.state);
  entry.setChannel(channel);
  auto facts = entry.initNotice();
  facts.setInstance("web1");
  facts.setJobId(notice.jobId);
  facts.setJobName(notice.jobName);
  facts.setJobType("exec");
  facts.setState(notice.state);
  facts.setOutcome("timeout");
  facts.setMessage(notice.message);
  facts.setSinceUnixMs(wallClockNowMs() - 60'000);
  facts.setAtUnixMs(wallClockNowMs());
  facts.setFailures(3);
  facts.setPageUrl("http://status.example:5000");
  mailer.send(builder);
}

// A loopback port nothing listens on (bound, so no one else takes it); or,
// with LISTEN, one whose connections the kernel completes but no one ever
// answers (never accepted).
class ClosedPort {
 public:
  explicit ClosedPort(bool listen = false) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("bind");
    }
    if (listen && ::listen(fd_.get(), 16) != 0) throw std::runtime_error("listen");
    port_ = ntohs(a.sin_port);
  }
  uint16_t port() const { return port_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
};

class ChannelDelivery : public ::testing::Test {
 protected:
  // The mailer's config: no mail sent (nomail), then CHANNELS.
  std::string config(const std::string& channels) {
    return dir_.write("settings.cfg", "[general]\nservername = web1\nalertcontact = admin@example.org\nstatefile = " +
                                          dir_.file("state") + "\n[email]\nnomail = yes\n" + channels);
  }
  std::string webhook(const std::string& name, const std::string& url) {
    return "[channel " + name + "]\ntype = webhook\nurl = " + url + "\nsecret = " + kSecret +
           "\nheader.x-team = ops on call\ntimeout = 5s\n";
  }
  // Closes the mailer's socket, checks it exited 0 and that its log never
  // held the secret or the token.
  void finish(MailerChild& mailer) {
    int status = mailer.finish(kWait);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    for (const std::string& line : mailer.lines()) {
      EXPECT_THAT(line, Not(HasSubstr(kSecret)));
      EXPECT_THAT(line, Not(HasSubstr(kToken)));
    }
  }
  TempDir dir_;
  HttpReceiver receiver_;
};

TEST_F(ChannelDelivery, AWebhookNoticeArrivesSignedWithItsHeaders) {
  MailerChild mailer(kMailer, config(webhook("hooks", receiver_.url("/hook?k=1"))));
  int64_t before = wallClockNowMs() / 1000;
  sendEntry(mailer, 7, "hooks");
  std::optional<MailerSendResult> result = mailer.nextResult(kWait);
  ASSERT_TRUE(result.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_EQ(result->entryId, 7u);
  EXPECT_TRUE(result->accepted) << result->serverReply;
  EXPECT_EQ(result->serverReply, "webhook hooks: HTTP 200 from 127.0.0.1");

  std::vector<ReceivedRequest> got = receiver_.waitFor(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  const ReceivedRequest& hook = got[0];
  EXPECT_EQ(hook.method, "POST");
  EXPECT_EQ(hook.target, "/hook?k=1");
  EXPECT_EQ(hook.header("content-type"), "application/json");
  EXPECT_THAT(hook.header("user-agent"), StartsWith("checker/"));
  EXPECT_EQ(hook.header("x-team"), "ops on call");
  EXPECT_EQ(hook.header("expect"), "");

  nlohmann::json body = nlohmann::json::parse(hook.body);
  EXPECT_EQ(body["version"], channels::kWebhookPayloadVersion);
  EXPECT_EQ(body["instance"], "web1");
  EXPECT_EQ(body["job"]["id"], "disk check/var");
  EXPECT_EQ(body["job"]["name"], "Disk /var");
  EXPECT_EQ(body["state"], "failing");
  EXPECT_EQ(body["outcome"], "timeout");
  EXPECT_EQ(body["message"], "took longer than 30 s");
  EXPECT_EQ(body["failures"], 3);
  EXPECT_EQ(body["links"]["page"], "http://status.example:5000/job/disk%20check%2Fvar");

  std::string timestamp = hook.header("x-checker-timestamp");
  ASSERT_FALSE(timestamp.empty());
  int64_t signedAt = std::stoll(timestamp);
  EXPECT_GE(signedAt, before);
  EXPECT_LE(signedAt, wallClockNowMs() / 1000);
  std::string signature = hook.header("x-checker-signature");
  EXPECT_EQ(signature, channels::webhookSignature(kSecret, timestamp, hook.body));
  EXPECT_NE(signature, channels::webhookSignature("not-" + kSecret, timestamp, hook.body));
  EXPECT_NE(signature, channels::webhookSignature(kSecret, std::to_string(signedAt + 1), hook.body));
  finish(mailer);
}

TEST_F(ChannelDelivery, FiveHundredsAnd429AreRetriedOther4xxRefusedForGood) {
  MailerChild mailer(kMailer, config(webhook("hooks", receiver_.url("/hook"))));
  receiver_.answerWith({503, 400, 429, 408, 500, 404});
  struct Expected {
    int status;
    bool permanent;
  };
  const Expected cases[] = {{503, false}, {400, true}, {429, false}, {408, false}, {500, false}, {404, true}};
  uint64_t id = 1;
  for (const Expected& expected : cases) {
    // One at a time, so the receiver's script meets them in order.
    sendEntry(mailer, id, "hooks");
    std::optional<MailerSendResult> result = mailer.nextResult(kWait);
    ASSERT_TRUE(result.has_value()) << expected.status << ::testing::PrintToString(mailer.lines());
    EXPECT_EQ(result->entryId, id);
    EXPECT_FALSE(result->accepted) << expected.status;
    EXPECT_EQ(result->permanent, expected.permanent) << expected.status << ": " << result->serverReply;
    EXPECT_EQ(result->serverReply,
              "webhook hooks: HTTP " + std::to_string(expected.status) + " from 127.0.0.1: refused");
    ++id;
  }
  EXPECT_EQ(receiver_.received().size(), 6u);
  // The same entry again once the receiver is well: accepted.
  sendEntry(mailer, 1, "hooks");
  std::optional<MailerSendResult> again = mailer.nextResult(kWait);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->accepted) << again->serverReply;
  finish(mailer);
}

TEST_F(ChannelDelivery, AReceiverThatIsNotListeningIsRetried) {
  ClosedPort closed;
  MailerChild mailer(kMailer, config(webhook("down-hook", "http://127.0.0.1:" + std::to_string(closed.port()) + "/x")));
  sendEntry(mailer, 3, "down-hook");
  std::optional<MailerSendResult> result = mailer.nextResult(kWait);
  ASSERT_TRUE(result.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_FALSE(result->accepted);
  EXPECT_FALSE(result->permanent) << result->serverReply;
  EXPECT_THAT(result->serverReply, StartsWith("webhook down-hook: no answer from 127.0.0.1: "));
  finish(mailer);
  bool logged = false;
  for (const std::string& line : mailer.lines()) logged |= line.find("entry 3: not sent now: webhook down-hook") != std::string::npos;
  EXPECT_TRUE(logged) << ::testing::PrintToString(mailer.lines());
}

// https:// receivers are verified as mail servers are: a receiver whose
// certificate the channel's cafile vouches for gets the notice; the same
// receiver on a channel that trusts only the system's CAs is refused at
// the handshake, and that is retried (the certificate may be mended), not
// refused for good.
TEST_F(ChannelDelivery, AnHttpsReceiverIsTrustedThroughCafileAndUntrustedOtherwise) {
  TempDir pkiDir;
  TestPki pki(pkiDir);
  TestPki::Cert cert = pki.issue("receiver", 2, "IP:127.0.0.1");
  HttpReceiver https(TlsIdentity{cert.certFile, cert.keyFile});
  MailerChild mailer(kMailer, config("[channel trusted]\ntype = webhook\nurl = " + https.url("/hook") +
                                     "\ncafile = " + pki.caFile() + "\n[channel untrusted]\ntype = webhook\nurl = " +
                                     https.url("/hook") + "\n"));
  sendEntry(mailer, 1, "untrusted");
  std::optional<MailerSendResult> refused = mailer.nextResult(kWait);
  ASSERT_TRUE(refused.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_FALSE(refused->accepted);
  EXPECT_FALSE(refused->permanent) << refused->serverReply;
  EXPECT_THAT(refused->serverReply, StartsWith("webhook untrusted: no answer from 127.0.0.1: "));
  EXPECT_EQ(https.waitForFailedHandshakes(1, kWait), 1u);
  EXPECT_TRUE(https.received().empty()) << "nothing was sent to an unverified receiver";

  sendEntry(mailer, 2, "trusted");
  std::optional<MailerSendResult> accepted = mailer.nextResult(kWait);
  ASSERT_TRUE(accepted.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_TRUE(accepted->accepted) << accepted->serverReply;
  std::vector<ReceivedRequest> got = https.waitFor(1, kWait);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(got[0].body)["job"]["name"], "Disk /var");
  finish(mailer);
}

TEST_F(ChannelDelivery, AReceiverThatNeverAnswersTimesOutWithoutHoldingUpAnother) {
  ClosedPort silent(/*listen=*/true);
  MailerChild mailer(kMailer, config("[channel stuck]\ntype = webhook\ntimeout = 1500ms\nurl = http://127.0.0.1:" +
                                     std::to_string(silent.port()) + "/\n" + webhook("hooks", receiver_.url("/"))));
  auto sent = std::chrono::steady_clock::now();
  sendEntry(mailer, 1, "stuck");
  sendEntry(mailer, 2, "hooks");
  std::optional<MailerSendResult> first = mailer.nextResult(kWait);
  ASSERT_TRUE(first.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_EQ(first->entryId, 2u) << "the stuck channel held up the other one";
  EXPECT_TRUE(first->accepted) << first->serverReply;
  std::optional<MailerSendResult> second = mailer.nextResult(kWait);
  ASSERT_TRUE(second.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_EQ(second->entryId, 1u);
  EXPECT_FALSE(second->accepted);
  EXPECT_FALSE(second->permanent) << second->serverReply;
  EXPECT_THAT(second->serverReply, StartsWith("webhook stuck: no answer from 127.0.0.1: "));
  EXPECT_THAT(second->serverReply, HasSubstr("timed out"));
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 1500ms);  // the channel's timeout, not curl's default
  finish(mailer);
}

TEST_F(ChannelDelivery, SlackAndNtfyNoticesArriveInTheirShapes) {
  MailerChild mailer(kMailer, config("[channel chat]\ntype = slack\nurl = " + receiver_.url("/services/T1/B2/sec") +
                                     "\n[channel phone]\ntype = ntfy\nurl = " + receiver_.url("/") +
                                     "\ntopic = checker-alerts\ntags = server, disk\ntoken = " + kToken + "\n"));
  sendEntry(mailer, 1, "chat");
  std::optional<MailerSendResult> slack = mailer.nextResult(kWait);
  ASSERT_TRUE(slack.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_TRUE(slack->accepted) << slack->serverReply;
  EXPECT_EQ(slack->serverReply, "slack chat: HTTP 200 from 127.0.0.1");
  Notice recovered;
  recovered.state = "recovered";
  sendEntry(mailer, 2, "phone");
  std::optional<MailerSendResult> ntfy = mailer.nextResult(kWait);
  ASSERT_TRUE(ntfy.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_TRUE(ntfy->accepted) << ntfy->serverReply;
  sendEntry(mailer, 3, "phone", recovered);
  ASSERT_TRUE(mailer.nextResult(kWait).has_value());

  std::vector<ReceivedRequest> got = receiver_.waitFor(3, kWait);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].target, "/services/T1/B2/sec");
  EXPECT_EQ(got[0].header("content-type"), "application/json");
  EXPECT_EQ(got[0].header("authorization"), "");
  nlohmann::json chat = nlohmann::json::parse(got[0].body);
  EXPECT_THAT(chat["text"].get<std::string>(), HasSubstr("Disk /var"));
  EXPECT_THAT(chat["text"].get<std::string>(), HasSubstr("failing"));
  EXPECT_EQ(chat["attachments"][0]["color"], "danger");

  EXPECT_EQ(got[1].target, "/");  // ntfy's JSON publish goes to the server's root
  EXPECT_EQ(got[1].header("authorization"), "Bearer " + kToken);
  nlohmann::json phone = nlohmann::json::parse(got[1].body);
  EXPECT_EQ(phone["topic"], "checker-alerts");
  EXPECT_EQ(phone["priority"], 5);
  EXPECT_EQ(phone["tags"], nlohmann::json::array({"server", "disk", "rotating_light"}));
  EXPECT_EQ(phone["click"], "http://status.example:5000/job/disk%20check%2Fvar");
  nlohmann::json back = nlohmann::json::parse(got[2].body);
  EXPECT_EQ(back["priority"], 3);
  EXPECT_EQ(back["tags"], nlohmann::json::array({"server", "disk", "white_check_mark"}));
  finish(mailer);
}

TEST_F(ChannelDelivery, AChannelNoLongerConfiguredIsRefusedForGoodAndMailStaysMail) {
  MailerChild mailer(kMailer, config(webhook("hooks", receiver_.url("/hook")) +
                                     "[channel ops-mail]\ntype = email\nto = ops@example.org\n"));
  sendEntry(mailer, 4, "gone");
  std::optional<MailerSendResult> result = mailer.nextResult(kWait);
  ASSERT_TRUE(result.has_value()) << ::testing::PrintToString(mailer.lines());
  EXPECT_FALSE(result->accepted);
  EXPECT_TRUE(result->permanent);
  EXPECT_THAT(result->serverReply, HasSubstr("channel 'gone' is not in "));
  // A notice whose state this mailer does not know cannot get better either.
  Notice odd;
  odd.state = "exploded";
  sendEntry(mailer, 5, "hooks", odd);
  std::optional<MailerSendResult> bad = mailer.nextResult(kWait);
  ASSERT_TRUE(bad.has_value());
  EXPECT_TRUE(bad->permanent);
  EXPECT_THAT(bad->serverReply, HasSubstr("webhook hooks: notice state 'exploded'"));
  // A mail entry (no channel) still takes the mail path: nomail.
  sendEntry(mailer, 6, "");
  std::optional<MailerSendResult> mail = mailer.nextResult(kWait);
  ASSERT_TRUE(mail.has_value());
  EXPECT_EQ(mail->serverReply, "not sent: no recipient");
  // An email channel's entry is a mail too (its `to` filled by checkerd),
  // held back by nomail.
  {
    capnp::MallocMessageBuilder builder;
    auto entry = builder.initRoot<ipc::ToMailer>().initSend();
    entry.setId(8);
    entry.setChannel("ops-mail");
    entry.initTo(1).set(0, "ops@example.org");
    entry.setSubject("[web1] db failing");
    mailer.send(builder);
  }
  std::optional<MailerSendResult> channelMail = mailer.nextResult(kWait);
  ASSERT_TRUE(channelMail.has_value());
  EXPECT_EQ(channelMail->entryId, 8u);
  EXPECT_TRUE(channelMail->accepted);
  EXPECT_EQ(channelMail->serverReply, "not sent (nomail)");
  EXPECT_TRUE(receiver_.received().empty());
  finish(mailer);
}

}  // namespace
}  // namespace checker::test
