// The payloads of the alert channels (channels/): every body is parsed back
// with nlohmann::json and checked field by field, as a receiver reads it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <map>
#include <string>

#include "channels/alertmanager_alerts.h"
#include "channels/notice.h"
#include "channels/ntfy_request.h"
#include "channels/slack_payload.h"
#include "channels/webhook_payload.h"

namespace checker::channels {
namespace {

using nlohmann::json;

constexpr int64_t kSince = 1765138000000;  // 2025-12-07T20:06:40.000Z
constexpr int64_t kAt = 1765139091123;     // 2025-12-07T20:24:51.123Z

NoticeFacts failingFacts() {
  NoticeFacts facts;
  facts.instance = "web1";
  facts.jobId = "disk check/var b";  // a space and a slash: both percent-encoded in links
  facts.jobName = "Disk /var";
  facts.jobType = "exec";
  facts.state = NoticeState::failing;
  facts.outcome = "timeout";
  facts.message = "took longer than 30 s";
  facts.sinceUnixMs = kSince;
  facts.atUnixMs = kAt;
  facts.failures = 3;
  facts.pageUrl = "http://host:5000";
  return facts;
}

NoticeFacts recoveredFacts() {
  NoticeFacts facts = failingFacts();
  facts.state = NoticeState::recovered;
  facts.outcome = "ok";
  facts.message = "fine again";
  facts.failures = 0;
  return facts;
}

NoticeFacts testFacts() {
  NoticeFacts facts = failingFacts();
  facts.state = NoticeState::test;
  facts.outcome = "ok";
  facts.message = "a test notice";
  facts.sinceUnixMs = 0;
  facts.failures = 0;
  facts.pageUrl = "";
  return facts;
}

constexpr const char* kPageLink = "http://host:5000/job/disk%20check%2Fvar%20b";

TEST(Notice, NamesTimestampsAndLinks) {
  EXPECT_STREQ(noticeStateName(NoticeState::failing), "failing");
  EXPECT_STREQ(noticeStateName(NoticeState::recovered), "recovered");
  EXPECT_STREQ(noticeStateName(NoticeState::test), "test");
  EXPECT_EQ(utcTimestamp(kAt), "2025-12-07T20:24:51.123Z");
  EXPECT_EQ(utcTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(utcTimestamp(-1), "1969-12-31T23:59:59.999Z");
  NoticeFacts facts = failingFacts();
  EXPECT_EQ(jobPageLink(facts), kPageLink);
  facts.pageUrl = "http://host:5000/";  // no "//job"
  EXPECT_EQ(jobPageLink(facts), kPageLink);
  facts.pageUrl = "";
  EXPECT_EQ(jobPageLink(facts), "");
}

TEST(WebhookPayload, EveryFieldOfAFailingNotice) {
  json body = json::parse(webhookBody(failingFacts()));
  EXPECT_EQ(body.size(), 10u);
  EXPECT_EQ(body["version"], 1);
  EXPECT_EQ(body["instance"], "web1");
  EXPECT_EQ(body["job"], (json{{"id", "disk check/var b"}, {"name", "Disk /var"}, {"type", "exec"}}));
  EXPECT_EQ(body["state"], "failing");
  EXPECT_EQ(body["outcome"], "timeout");
  EXPECT_EQ(body["message"], "took longer than 30 s");
  EXPECT_EQ(body["since"], "2025-12-07T20:06:40.000Z");
  EXPECT_EQ(body["at"], "2025-12-07T20:24:51.123Z");
  EXPECT_EQ(body["failures"], 3);
  EXPECT_EQ(body["links"], (json{{"page", kPageLink}}));
}

TEST(WebhookPayload, RecoveredAndATestNoticeWithoutSinceOrPage) {
  json recovered = json::parse(webhookBody(recoveredFacts()));
  EXPECT_EQ(recovered["state"], "recovered");
  EXPECT_EQ(recovered["outcome"], "ok");
  EXPECT_EQ(recovered["failures"], 0);

  json test = json::parse(webhookBody(testFacts()));
  EXPECT_EQ(test["state"], "test");
  ASSERT_TRUE(test.contains("since"));
  EXPECT_TRUE(test["since"].is_null());
  EXPECT_EQ(test["at"], "2025-12-07T20:24:51.123Z");
  ASSERT_TRUE(test["links"].contains("page"));
  EXPECT_TRUE(test["links"]["page"].is_null());
}

TEST(WebhookPayload, KeysInTheDocumentedOrder) {
  std::string body = webhookBody(failingFacts());
  EXPECT_EQ(body.rfind("{\"version\":1,\"instance\":\"web1\",\"job\":{\"id\":", 0), 0u) << body;
}

TEST(WebhookSignature, MatchesAnIndependentHmac) {
  // Expected values made with Python's hmac module:
  //   python3 -c 'import hmac,hashlib;print(hmac.new(b"k",b"123.{}",hashlib.sha256).hexdigest())'
  EXPECT_EQ(webhookSignature("k", "123", "{}"),
            "sha256=4733b0070cf285133179508f4dc1cf5badcc79eba3978fe3a1a3e63bf4b4e01e");
  //   python3 -c 'import hmac,hashlib;print(hmac.new(b"s3cret",
  //     b"1765139091.{\"version\":1,\"message\":\"caf\xc3\xa9\"}",hashlib.sha256).hexdigest())'
  EXPECT_EQ(webhookSignature("s3cret", "1765139091", "{\"version\":1,\"message\":\"caf\xc3\xa9\"}"),
            "sha256=e0b6d80329050bdff688448524690b97975d83469ca811e0c7a7d9211607d9e9");
  // An empty secret still signs (python3 ... hmac.new(b"", b"0.", ...); also `openssl dgst -sha256 -hmac ''`).
  EXPECT_EQ(webhookSignature("", "0", ""),
            "sha256=b849d5a581847b281957065739df36df2463d1977ea8d6e1e4e6cf33fadc68c3");
  // The timestamp is signed: the same body at another time has another signature.
  EXPECT_NE(webhookSignature("k", "124", "{}"), webhookSignature("k", "123", "{}"));
  EXPECT_EQ(kWebhookSignatureHeader, "X-Checker-Signature");
  EXPECT_EQ(kWebhookTimestampHeader, "X-Checker-Timestamp");
}

TEST(SlackPayload, EveryFieldOfAFailingNotice) {
  json body = json::parse(slackBody(failingFacts()));
  const std::string text = "[web1] job Disk /var is failing: took longer than 30 s";
  EXPECT_EQ(body["text"], text);
  ASSERT_EQ(body["attachments"].size(), 1u);
  const json& one = body["attachments"][0];
  EXPECT_EQ(one["color"], "danger");
  EXPECT_EQ(one["fallback"], text);
  EXPECT_EQ(one["title"], "Disk /var");
  EXPECT_EQ(one["title_link"], kPageLink);
  EXPECT_EQ(one["footer"], "checker on web1");
  EXPECT_EQ(one["ts"], kAt / 1000);
  json expected = json::array();
  for (auto [title, value] : {std::pair{"Job", "Disk /var"}, {"Job id", "disk check/var b"}, {"State", "failing"},
                              {"Outcome", "timeout"}, {"Failing since", "2025-12-07T20:06:40.000Z"},
                              {"Consecutive failures", "3"}}) {
    expected.push_back({{"title", title}, {"value", value}, {"short", true}});
  }
  EXPECT_EQ(one["fields"], expected);
}

TEST(SlackPayload, ColoursAndLinesByState) {
  json recovered = json::parse(slackBody(recoveredFacts()));
  EXPECT_EQ(recovered["text"], "[web1] job Disk /var recovered: fine again");
  EXPECT_EQ(recovered["attachments"][0]["color"], "good");
  json test = json::parse(slackBody(testFacts()));
  EXPECT_EQ(test["text"], "[web1] test notice for job Disk /var: a test notice");
  EXPECT_EQ(test["attachments"][0]["color"], "#439FE0");
  EXPECT_FALSE(test["attachments"][0].contains("title_link"));  // no page URL
  for (const json& field : test["attachments"][0]["fields"]) EXPECT_NE(field["title"], "Failing since");
}

TEST(SlackPayload, AMessageCannotMakeALinkOrMention) {
  NoticeFacts facts = failingFacts();
  facts.message = "<!channel> & <http://x|y>";
  facts.jobName = "<@U123>";
  json body = json::parse(slackBody(facts));
  EXPECT_EQ(body["text"], "[web1] job &lt;@\u2060U123&gt; is failing: &lt;!channel&gt; &amp; &lt;http://x|y&gt;");
  EXPECT_EQ(body["attachments"][0]["title"], "&lt;@\u2060U123&gt;");
  for (const json& field : body["attachments"][0]["fields"]) {
    EXPECT_EQ(field["value"].get<std::string>().find('<'), std::string::npos) << field;
  }
  // Mattermost's and Rocket.Chat's bare mentions get a WORD JOINER after '@';
  // an '@' not before a name (an address's, a lone one) stays as it was.
  EXPECT_EQ(slackEscaped("@channel @all x@y @ @"), "@\u2060channel @\u2060all x@\u2060y @ @");
  // One line: a break in the message cannot start a line of its own.
  EXPECT_EQ(slackEscaped("a\nb\r\nc\td"), "a b  c d");
}

TEST(SlackPayload, MessageCappedAt3000BytesBetweenCodePoints) {
  NoticeFacts facts = failingFacts();
  facts.message = "x";
  for (int i = 0; i < 1500; ++i) facts.message += "\xe2\x82\xac";  // EUR sign, 3 bytes: 4501 bytes in all
  json body = json::parse(slackBody(facts));
  std::string text = body["text"];
  const std::string prefix = "[web1] job Disk /var is failing: ";
  ASSERT_EQ(text.rfind(prefix, 0), 0u);
  std::string message = text.substr(prefix.size());
  // "x", then as many whole euro signs as fit with the ellipsis in 3000 bytes:
  // 1 + 3 * 998 + 3 = 2998 (a 999th would make 3001).
  EXPECT_EQ(message.size(), 2998u);
  EXPECT_LE(message.size(), kSlackMessageMaxBytes);
  EXPECT_EQ(message.substr(message.size() - 3), "\xe2\x80\xa6");
  EXPECT_EQ(facts.message.rfind(message.substr(0, message.size() - 3), 0), 0u);
  // Escapes count and are never cut: 1000 "&" are 5000 bytes escaped.
  std::string capped = slackEscaped(std::string(1000, '&'), kSlackMessageMaxBytes);
  EXPECT_EQ(capped.size(), 5 * 599 + 3u);
  EXPECT_EQ(capped.substr(capped.size() - 8), "&amp;\xe2\x80\xa6");
  // A message that fits is not marked.
  EXPECT_EQ(slackEscaped(std::string(3000, 'a'), kSlackMessageMaxBytes), std::string(3000, 'a'));
}

TEST(NtfyRequest, EveryFieldOfAFailingNotice) {
  json body = json::parse(ntfyBody(failingFacts(), "ops-alerts", {"checker", "prod"}));
  EXPECT_EQ(body.size(), 6u);
  EXPECT_EQ(body["topic"], "ops-alerts");
  EXPECT_EQ(body["title"], "[web1] Disk /var is failing");
  EXPECT_EQ(body["message"], "took longer than 30 s");
  EXPECT_EQ(body["priority"], 5);
  EXPECT_EQ(body["tags"], (json{"checker", "prod", "rotating_light"}));
  EXPECT_EQ(body["click"], kPageLink);
}

TEST(NtfyRequest, PriorityAndTagsByState) {
  json recovered = json::parse(ntfyBody(recoveredFacts(), "t", {}));
  EXPECT_EQ(recovered["priority"], 3);
  EXPECT_EQ(recovered["title"], "[web1] Disk /var recovered");
  EXPECT_EQ(recovered["tags"], (json{"white_check_mark"}));
  json test = json::parse(ntfyBody(testFacts(), "t", {"checker"}));
  EXPECT_EQ(test["priority"], 3);
  EXPECT_EQ(test["title"], "[web1] test notice for Disk /var");
  EXPECT_EQ(test["tags"], (json{"checker"}));
  EXPECT_FALSE(test.contains("click"));  // no page URL
}

TEST(NtfyRequest, EmptyMessageShowsTheOutcomeAndALongOneIsCut) {
  NoticeFacts facts = failingFacts();
  facts.message = "";
  EXPECT_EQ(json::parse(ntfyBody(facts, "t", {}))["message"], "timeout");
  facts.message = std::string(kNtfyMessageMaxBytes - 4, 'a') + "\xc3\xa9\xc3\xa9\xc3\xa9";
  std::string message = json::parse(ntfyBody(facts, "t", {}))["message"];
  EXPECT_EQ(message, std::string(kNtfyMessageMaxBytes - 4, 'a') + "\xe2\x80\xa6");
}

TEST(AlertmanagerAlerts, EveryFieldOfAFailingAlert) {
  json body = json::parse(alertmanagerBody(failingFacts(), {{"team", "ops"}}, 60000));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 1u);
  const json& alert = body[0];
  EXPECT_EQ(alert.size(), 5u);
  EXPECT_EQ(alert["labels"], (json{{"alertname", "CheckerJobFailing"},
                                   {"job", "Disk /var"},
                                   {"job_id", "disk check/var b"},
                                   {"instance", "web1"},
                                   {"severity", "critical"},
                                   {"team", "ops"}}));
  EXPECT_EQ(alert["annotations"], (json{{"summary", "[web1] job Disk /var is failing (timeout)"},
                                        {"description", "took longer than 30 s"}}));
  EXPECT_EQ(alert["startsAt"], "2025-12-07T20:06:40.000Z");
  // at + 4 resends of a minute: active only while checker keeps re-sending.
  EXPECT_EQ(alert["endsAt"], "2025-12-07T20:28:51.123Z");
  EXPECT_EQ(alert["generatorURL"], kPageLink);
}

TEST(AlertmanagerAlerts, RecoveryEndsTheAlertNow) {
  json alert = json::parse(alertmanagerBody(recoveredFacts(), {}, 60000))[0];
  EXPECT_EQ(alert["labels"]["alertname"], "CheckerJobFailing");  // the same alert, so it resolves it
  EXPECT_EQ(alert["startsAt"], "2025-12-07T20:06:40.000Z");
  EXPECT_EQ(alert["endsAt"], "2025-12-07T20:24:51.123Z");
  EXPECT_EQ(alert["annotations"]["summary"], "[web1] job Disk /var recovered");
}

TEST(AlertmanagerAlerts, ExtraLabelsCannotOverrideTheFixedOnes) {
  std::map<std::string, std::string> extra = {
      {"alertname", "Other"}, {"severity", "low"}, {"job", "x"}, {"env", "prod"}};
  json labels = json::parse(alertmanagerBody(failingFacts(), extra, 60000))[0]["labels"];
  EXPECT_EQ(labels["alertname"], "CheckerJobFailing");
  EXPECT_EQ(labels["severity"], "critical");
  EXPECT_EQ(labels["job"], "Disk /var");
  EXPECT_EQ(labels["env"], "prod");
  EXPECT_EQ(labels.size(), 6u);
}

TEST(AlertmanagerAlerts, ATestNoticeIsItsOwnAlertWithoutSinceOrPage) {
  json alert = json::parse(alertmanagerBody(testFacts(), {}, 30000))[0];
  EXPECT_EQ(alert["labels"]["alertname"], "CheckerTestNotice");
  EXPECT_EQ(alert["labels"]["severity"], "info");
  EXPECT_EQ(alert["startsAt"], "2025-12-07T20:24:51.123Z");  // no since: at
  EXPECT_EQ(alert["endsAt"], "2025-12-07T20:26:51.123Z");    // at + 4 * 30 s
  EXPECT_FALSE(alert.contains("generatorURL"));
}

TEST(AlertmanagerAlerts, NeverEndsBeforeItStarts) {
  NoticeFacts facts = recoveredFacts();
  facts.sinceUnixMs = kAt + 5000;  // the clock stepped back since the failure began
  json alert = json::parse(alertmanagerBody(facts, {}, 60000))[0];
  EXPECT_EQ(alert["endsAt"], alert["startsAt"]);
}

TEST(ChannelPayloads, InvalidUtf8NeverThrowsAndStillParses) {
  NoticeFacts facts = failingFacts();
  facts.message = "bad \xff\xfe bytes \xe2\x82";  // not cleaned as it should have been
  facts.jobName = "n\xc0";
  for (const std::string& body : {webhookBody(facts), slackBody(facts), ntfyBody(facts, "t", {"\xff"}),
                                  alertmanagerBody(facts, {{"k", "\xff"}}, 1000)}) {
    EXPECT_TRUE(json::accept(body)) << body;
    EXPECT_NE(body.find("\xef\xbf\xbd"), std::string::npos) << body;  // U+FFFD
  }
}

TEST(SlackPayload, ABrokenSequenceCannotCarryMarkupPastTheEscaping) {
  // A lead byte of a 4-byte sequence followed by ASCII (text that was not
  // cleaned as it should have been): the '<' and '@' after it are escaped
  // all the same. Found by notice_group_fuzz.
  NoticeFacts facts = failingFacts();
  facts.message = "a\xf2<!channel> \xe2@here \xc3<@U1> \xf0\x9f<b";
  std::string body = slackBody(facts);
  EXPECT_EQ(body.find('<'), std::string::npos) << body;
  EXPECT_EQ(body.find("@here"), std::string::npos) << body;
  EXPECT_EQ(slackEscaped("\xf2<!channel>"), "\xf2&lt;!channel&gt;");
  EXPECT_EQ(slackEscaped("\xf0\x9f\x98\x80<"), "\xf0\x9f\x98\x80&lt;");  // a whole emoji is still one piece
}

}  // namespace
}  // namespace checker::channels
