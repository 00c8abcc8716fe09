// The request the mailer POSTs to a webhook, Slack, ntfy or Alertmanager channel, and
// what each way a transfer can end means for the outbox (pure: no server).
#include <capnp/message.h>
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "channels/notice.h"
#include "channels/notice_group.h"
#include "channels/webhook_payload.h"
#include "mailer/channel_request.h"

namespace checker::mailer {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

ChannelSettings webhook() {
  ChannelSettings c;
  c.name = "hooks";
  c.type = ChannelType::webhook;
  c.url = "https://user:pw@hooks.example.org:8443/in/s3cret-path?token=abc";
  c.secret = "k";
  c.headers = {{"x-team", "ops"}, {"content-type", "text/plain"}, {"x-checker-signature", "forged"}};
  return c;
}

channels::NoticeFacts facts() {
  channels::NoticeFacts f;
  f.instance = "web1";
  f.jobId = "db";
  f.jobName = "Database";
  f.jobType = "tcp";
  f.outcome = "failed";
  f.message = "refused";
  f.atUnixMs = 1'700'000'000'000;
  return f;
}

TEST(ChannelRequest, AWebhookIsSignedAndKeepsCheckersOwnHeaders) {
  Result<ChannelRequest> request = buildChannelRequest(webhook(), facts(), 123);
  ASSERT_TRUE(request) << request.error();
  EXPECT_EQ(request->urls, std::vector<std::string>{webhook().url});
  EXPECT_EQ(request->body, channels::webhookBody(facts()));
  EXPECT_THAT(request->headers, Contains("Content-Type: application/json"));
  EXPECT_THAT(request->headers, Contains("X-Checker-Timestamp: 123"));
  EXPECT_THAT(request->headers,
              Contains("X-Checker-Signature: " + channels::webhookSignature("k", "123", request->body)));
  EXPECT_THAT(request->headers, Contains("x-team: ops"));
  EXPECT_THAT(request->headers, Not(Contains("content-type: text/plain")));
  EXPECT_THAT(request->headers, Not(Contains("x-checker-signature: forged")));
}

TEST(ChannelRequest, AWebhookWithoutSecretIsTimestampedNotSigned) {
  ChannelSettings c = webhook();
  c.secret.clear();
  Result<ChannelRequest> request = buildChannelRequest(c, facts(), 5);
  ASSERT_TRUE(request);
  EXPECT_THAT(request->headers, Contains("X-Checker-Timestamp: 5"));
  for (const std::string& h : request->headers) EXPECT_THAT(h, Not(HasSubstr("X-Checker-Signature")));
}

TEST(ChannelRequest, NtfyCarriesItsTokenAndAnEmailChannelIsNoRequest) {
  ChannelSettings c;
  c.name = "phone";
  c.type = ChannelType::ntfy;
  c.url = "https://ntfy.sh";
  c.topic = "alerts";
  c.token = "tk";
  Result<ChannelRequest> request = buildChannelRequest(c, facts(), 5);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->urls, std::vector<std::string>{"https://ntfy.sh"});
  EXPECT_THAT(request->headers, Contains("Authorization: Bearer tk"));
  EXPECT_THAT(request->body, HasSubstr("\"topic\":\"alerts\""));
  c.type = ChannelType::email;
  EXPECT_FALSE(buildChannelRequest(c, facts(), 5));
}

SmtpOutcome classified(long status, const std::string& body = "", int curlCode = CURLE_OK,
                       const std::string& redirect = "") {
  ChannelAnswer answer;
  answer.curlCode = curlCode;
  answer.httpStatus = status;
  answer.body = body;
  answer.redirectUrl = redirect;
  return classifyChannelAnswer(webhook(), answer);
}

TEST(ChannelAnswerClass, TwoHundredsAreAccepted) {
  for (long status : {200L, 201L, 202L, 204L}) {
    SmtpOutcome o = classified(status);
    EXPECT_TRUE(o.accepted) << status;
    EXPECT_EQ(o.serverReply, "webhook hooks: HTTP " + std::to_string(status) + " from hooks.example.org");
  }
}

TEST(ChannelAnswerClass, RedirectsAreRefusedForGood) {
  SmtpOutcome o = classified(301, "", CURLE_OK, "https://elsewhere.example/in");
  EXPECT_FALSE(o.accepted);
  EXPECT_TRUE(o.permanent);
  EXPECT_EQ(o.serverReply,
            "webhook hooks: HTTP 301 from hooks.example.org: redirect to https://elsewhere.example/in not followed: "
            "fix url");
}

TEST(ChannelAnswerClass, ClientErrorsAreFinalButTimeoutsTooEarlyAndTooMany) {
  for (long status : {400L, 401L, 403L, 404L, 410L, 413L, 422L}) EXPECT_TRUE(classified(status).permanent) << status;
  for (long status : {408L, 425L, 429L}) {
    SmtpOutcome o = classified(status);
    EXPECT_FALSE(o.accepted);
    EXPECT_FALSE(o.permanent) << status;
  }
}

TEST(ChannelAnswerClass, ServerErrorsAndTransportErrorsAreRetried) {
  for (long status : {500L, 502L, 503L, 504L}) EXPECT_FALSE(classified(status).permanent) << status;
  for (int code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_PEER_FAILED_VERIFICATION,
                   CURLE_SSL_CONNECT_ERROR, CURLE_RECV_ERROR, CURLE_COULDNT_RESOLVE_HOST}) {
    SmtpOutcome o = classified(0, "", code);
    EXPECT_FALSE(o.accepted);
    EXPECT_FALSE(o.permanent) << code;
    EXPECT_THAT(o.serverReply, HasSubstr("webhook hooks: no answer from hooks.example.org: ")) << code;
  }
}

TEST(ChannelAnswerClass, TheReplyIsTheAnswersFirstLineCleanedNeverTheUrlsSecrets) {
  SmtpOutcome o = classified(503, "\r\n  upstream \x1b[31mdown\xff\nsecond line\n");
  EXPECT_EQ(o.serverReply, "webhook hooks: HTTP 503 from hooks.example.org: upstream \\x1b[31mdown\xEF\xBF\xBD");
  EXPECT_THAT(o.serverReply, Not(HasSubstr("s3cret-path")));
  EXPECT_THAT(o.serverReply, Not(HasSubstr("token=abc")));
  EXPECT_THAT(o.serverReply, Not(HasSubstr("pw")));
  EXPECT_EQ(classified(302, "", CURLE_OK, "https://x.example/\tnext").serverReply,
            "webhook hooks: HTTP 302 from hooks.example.org: redirect to https://x.example/ next not followed: fix url");
  std::string longLine(2000, 'x');
  EXPECT_LT(classified(500, longLine).serverReply.size(), 300u);
}

ChannelSettings alertmanager() {
  ChannelSettings c;
  c.name = "am";
  c.type = ChannelType::alertmanager;
  c.urls = {"http://am-1.example.org:9093/api/v2/alerts", "http://am-2.example.org:9093/api/v2/alerts"};
  c.url = c.urls.front();
  c.labels = {{"team", "ops"}};
  c.headers = {{"authorization", "Bearer t"}};
  c.resendEvery = Milliseconds(30'000);
  return c;
}

TEST(ChannelRequest, AnAlertmanagerAlertGoesToEveryMemberWithItsLabelsAndEndsFourResendsAhead) {
  channels::NoticeFacts f = facts();
  f.state = channels::NoticeState::failing;
  f.sinceUnixMs = f.atUnixMs - 60'000;
  Result<ChannelRequest> request = buildChannelRequest(alertmanager(), f, 5);
  ASSERT_TRUE(request) << request.error();
  EXPECT_EQ(request->urls, alertmanager().urls);
  EXPECT_THAT(request->headers, Contains("authorization: Bearer t")) << "as the config spells it; case does not matter in HTTP";
  nlohmann::json alerts = nlohmann::json::parse(request->body);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["labels"]["team"], "ops");
  EXPECT_EQ(alerts[0]["labels"]["job"], "Database");
  EXPECT_EQ(alerts[0]["startsAt"], channels::utcTimestamp(f.sinceUnixMs));
  EXPECT_EQ(alerts[0]["endsAt"], channels::utcTimestamp(f.atUnixMs + 4 * 30'000));
}

TEST(ChannelRequest, AGroupIsOneSignedRequestWithTheTypesGroupBodyAndOneNoticeIsSingle) {
  channels::NoticeFacts second = facts();
  second.jobName = "Cache";
  Result<ChannelRequest> group = buildChannelGroupRequest(webhook(), {facts(), second}, 77);
  ASSERT_TRUE(group) << group.error();
  EXPECT_EQ(group->urls, std::vector<std::string>{webhook().url});
  EXPECT_EQ(group->body, channels::webhookGroupBody({facts(), second}));
  EXPECT_THAT(group->headers, Contains(std::string(channels::kWebhookSignatureHeader) + ": " +
                                       channels::webhookSignature("k", "77", group->body)));
  Result<ChannelRequest> alone = buildChannelGroupRequest(webhook(), {facts()}, 77);
  ASSERT_TRUE(alone);
  EXPECT_EQ(alone->body, channels::webhookBody(facts())) << "a group of one is the single payload";
  Result<ChannelRequest> alerts = buildChannelGroupRequest(alertmanager(), {facts(), second}, 77);
  ASSERT_TRUE(alerts);
  EXPECT_EQ(alerts->urls, alertmanager().urls);
  EXPECT_EQ(nlohmann::json::parse(alerts->body).size(), 2u);
}

SmtpOutcome member(bool accepted, bool permanent, const std::string& reply) {
  SmtpOutcome o;
  o.accepted = accepted;
  o.permanent = permanent;
  o.step = accepted ? "" : "send";
  o.serverReply = "alertmanager am: " + reply;
  return o;
}

TEST(ChannelAnswerClass, AClusterAcceptsWhenOneMemberDoesAndRefusesForGoodOnlyWhenAllDo) {
  SmtpOutcome down = member(false, false, "no answer from am-1: Connection refused");
  SmtpOutcome took = member(true, false, "HTTP 200 from am-2");
  SmtpOutcome bad = member(false, true, "HTTP 400 from am-2: bad alert");
  SmtpOutcome one = combineChannelOutcomes(alertmanager(), {down, took});
  EXPECT_TRUE(one.accepted);
  EXPECT_FALSE(one.permanent);
  EXPECT_EQ(one.serverReply, "alertmanager am: no answer from am-1: Connection refused; HTTP 200 from am-2");
  SmtpOutcome retried = combineChannelOutcomes(alertmanager(), {down, bad});
  EXPECT_FALSE(retried.accepted);
  EXPECT_FALSE(retried.permanent) << "a member that was down may take it later";
  SmtpOutcome refusedByAll = combineChannelOutcomes(alertmanager(), {bad, bad});
  EXPECT_FALSE(refusedByAll.accepted);
  EXPECT_TRUE(refusedByAll.permanent);
  EXPECT_EQ(combineChannelOutcomes(alertmanager(), {took}).serverReply, took.serverReply);
}

TEST(ChannelAnswerClass, AMembersReplyNamesItsOwnHost) {
  ChannelAnswer answer;
  answer.url = alertmanager().urls[1];
  answer.httpStatus = 200;
  EXPECT_EQ(classifyChannelAnswer(alertmanager(), answer).serverReply, "alertmanager am: HTTP 200 from am-2.example.org");
}

TEST(NoticeFacts, AnUnknownStateIsAnError) {
  capnp::MallocMessageBuilder builder;
  auto notice = builder.initRoot<ipc::ChannelNotice>();
  notice.setState("recovered");
  notice.setJobId("db");
  notice.setFailures(0);
  Result<channels::NoticeFacts> facts = noticeFactsFrom(notice.asReader());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->state, channels::NoticeState::recovered);
  EXPECT_EQ(facts->jobId, "db");
  notice.setState("later");
  Result<channels::NoticeFacts> bad = noticeFactsFrom(notice.asReader());
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error(), HasSubstr("'later'"));
}

}  // namespace
}  // namespace checker::mailer
