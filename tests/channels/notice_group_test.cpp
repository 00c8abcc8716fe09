// The group payloads (channels/notice_group.h): several notices of one
// channel sent as one. Each body is parsed back with nlohmann::json and
// checked field by field; each notice in a group is what its single
// payload holds; and a flood of hostile notices stays within each type's
// byte limit, the notices left out counted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "channels/alertmanager_alerts.h"
#include "channels/notice_group.h"
#include "channels/ntfy_request.h"
#include "channels/slack_payload.h"
#include "channels/webhook_payload.h"

namespace checker::channels {
namespace {

using nlohmann::json;

constexpr int64_t kSince = 1765138000000;  // 2025-12-07T20:06:40.000Z
constexpr int64_t kAt = 1765139091123;     // 2025-12-07T20:24:51.123Z
const std::string kEllipsis = "\xe2\x80\xa6";

NoticeFacts notice(const std::string& id, NoticeState state, const std::string& message) {
  NoticeFacts facts;
  facts.instance = "web1";
  facts.jobId = id;
  facts.jobName = "Job " + id;
  facts.jobType = "exec";
  facts.state = state;
  facts.outcome = state == NoticeState::failing ? "failed" : "ok";
  facts.message = message;
  facts.sinceUnixMs = state == NoticeState::test ? 0 : kSince;
  facts.atUnixMs = kAt;
  facts.failures = state == NoticeState::failing ? 2 : 0;
  facts.pageUrl = "http://host:5000";
  return facts;
}

// Three failing (one without a message), one recovered.
std::vector<NoticeFacts> mixedGroup() {
  return {notice("a", NoticeState::failing, "HTTP 503"), notice("b b", NoticeState::failing, "timed out"),
          notice("c", NoticeState::failing, ""), notice("d", NoticeState::recovered, "fine again")};
}

// A notice no receiver should be able to trust: 10 KiB of mentions, markup
// and line breaks, with what cleaning left of bad bytes and controls.
NoticeFacts hostileNotice(int i) {
  std::string message;
  while (message.size() < 10 * 1024) {
    message += "<!channel> <@U123> @here @all <http://evil.example|click> & \"q\" \\ \xef\xbf\xbd \\x1b[31m\n\t";
  }
  return notice("job-" + std::to_string(i), i % 3 == 0 ? NoticeState::recovered : NoticeState::failing, message);
}

std::vector<NoticeFacts> hostileGroup(int count) {
  std::vector<NoticeFacts> notices;
  for (int i = 0; i < count; ++i) notices.push_back(hostileNotice(i));
  return notices;
}

TEST(GroupSummary, CountsByStateThenTheInstance) {
  EXPECT_EQ(groupSummary(mixedGroup()), "3 jobs failing, 1 recovered on web1");
  EXPECT_EQ(groupSummary({notice("a", NoticeState::recovered, ""), notice("b", NoticeState::recovered, "")}),
            "2 jobs recovered on web1");
  EXPECT_EQ(groupSummary({notice("a", NoticeState::failing, ""), notice("b", NoticeState::test, "")}),
            "1 job failing, 1 test notice on web1");
  EXPECT_EQ(groupSummary({notice("a", NoticeState::test, ""), notice("b", NoticeState::test, "")}),
            "2 test notices on web1");
  EXPECT_EQ(groupSummary({}), "no notices");  // not for callers, but never undefined
}

TEST(WebhookGroup, EveryFieldAndEachNoticeAsItsSingleBody) {
  std::vector<NoticeFacts> notices = mixedGroup();
  std::string text = webhookGroupBody(notices);
  json body = json::parse(text);
  EXPECT_EQ(body.size(), 5u);
  EXPECT_EQ(body["version"], 1);
  EXPECT_EQ(body["instance"], "web1");
  EXPECT_EQ(body["group"], true);
  EXPECT_EQ(body["summary"], "3 jobs failing, 1 recovered on web1");
  ASSERT_EQ(body["notices"].size(), notices.size());
  for (size_t i = 0; i < notices.size(); ++i) {
    EXPECT_EQ(body["notices"][i], json::parse(webhookBody(notices[i]))) << i;
    // Byte for byte: a receiver's code for one notice reads each of these.
    EXPECT_NE(text.find(webhookBody(notices[i])), std::string::npos) << i;
  }
  EXPECT_EQ(body["notices"][1]["job"]["id"], "b b");
  EXPECT_EQ(body["notices"][3]["state"], "recovered");
  EXPECT_EQ(text.rfind("{\"version\":1,\"instance\":\"web1\",\"group\":true,\"summary\":", 0), 0u) << text;
}

TEST(SlackGroup, SummaryThenOneAttachmentPerNoticeAsSlackBodys) {
  std::vector<NoticeFacts> notices = mixedGroup();
  json body = json::parse(slackGroupBody(notices));
  EXPECT_EQ(body.size(), 2u);
  EXPECT_EQ(body["text"], "3 jobs failing, 1 recovered on web1");
  ASSERT_EQ(body["attachments"].size(), notices.size());  // all fit, no count line
  for (size_t i = 0; i < notices.size(); ++i) {
    json attachment = body["attachments"][i];
    // The notice's message (or its outcome) as the text Slack shows ...
    EXPECT_EQ(attachment["text"], notices[i].message.empty() ? notices[i].outcome : notices[i].message) << i;
    attachment.erase("text");
    // ... and otherwise slackBody's attachment, short messages uncut.
    EXPECT_EQ(attachment, json::parse(slackBody(notices[i]))["attachments"][0]) << i;
  }
  EXPECT_EQ(body["attachments"][0]["fallback"], "[web1] job Job a is failing: HTTP 503");
  EXPECT_EQ(body["attachments"][0]["color"], "danger");
  EXPECT_EQ(body["attachments"][0]["title_link"], "http://host:5000/job/a");
  EXPECT_EQ(body["attachments"][2]["text"], "failed");
  EXPECT_EQ(body["attachments"][3]["color"], "good");
}

TEST(SlackGroup, TwoHundredHostileNoticesStayWithinTheLimitAndTheRestAreCounted) {
  std::string text = slackGroupBody(hostileGroup(200));
  EXPECT_LE(text.size(), kSlackGroupBodyMaxBytes);
  json body = json::parse(text);
  EXPECT_EQ(body["text"], "133 jobs failing, 67 recovered on web1");
  const json& attachments = body["attachments"];
  ASSERT_GE(attachments.size(), 3u) << "at least two notices and the count";
  size_t shown = attachments.size() - 1;
  const json& last = attachments.back();
  EXPECT_EQ(last["text"], kEllipsis + " and " + std::to_string(200 - shown) + " more");
  EXPECT_EQ(last["fallback"], last["text"]);
  for (size_t i = 0; i < shown; ++i) {
    EXPECT_EQ(attachments[i]["title"], "Job job-" + std::to_string(i));
    EXPECT_LE(attachments[i]["text"].get<std::string>().size(), 200u);
    EXPECT_TRUE(attachments[i]["text"].get<std::string>().ends_with(kEllipsis));
  }
  // Nothing a message held can make a mention or a link, in any client.
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
  for (const char* mention : {"@here", "@all", "@U123", "\\n", "\\t"}) {
    EXPECT_EQ(text.find(mention), std::string::npos) << mention;
  }
  EXPECT_NE(text.find("&lt;!channel&gt;"), std::string::npos);
  EXPECT_NE(text.find("@\u2060here"), std::string::npos);
}

TEST(SlackGroup, NoticesThatCannotFitAreAllCounted) {
  // A job name so long that no attachment fits: still one message, counted.
  std::vector<NoticeFacts> notices = hostileGroup(3);
  for (NoticeFacts& facts : notices) facts.jobName = std::string(20000, 'n');
  std::string text = slackGroupBody(notices);
  EXPECT_LE(text.size(), kSlackGroupBodyMaxBytes);
  json body = json::parse(text);
  ASSERT_EQ(body["attachments"].size(), 1u);
  EXPECT_EQ(body["attachments"][0]["text"], kEllipsis + " and 3 more");
}

TEST(NtfyGroup, EveryFieldOfAMixedGroup) {
  json body = json::parse(ntfyGroupBody(mixedGroup(), "ops", {"checker"}));
  EXPECT_EQ(body.size(), 6u);
  EXPECT_EQ(body["topic"], "ops");
  EXPECT_EQ(body["title"], "3 jobs failing, 1 recovered on web1");
  EXPECT_EQ(body["message"],
            "Job a is failing: HTTP 503\n"
            "Job b b is failing: timed out\n"
            "Job c is failing: failed\n"
            "Job d recovered: fine again");
  EXPECT_EQ(body["priority"], kNtfyFailingPriority);
  EXPECT_EQ(body["tags"], (json{"checker", "rotating_light"}));
  EXPECT_EQ(body["click"], "http://host:5000");  // the status page, where all of them are
}

TEST(NtfyGroup, RecoveriesAreNotUrgentAndTestsHaveNoStateTag) {
  std::vector<NoticeFacts> recovered = {notice("a", NoticeState::recovered, "ok"),
                                        notice("b", NoticeState::test, "t")};
  json body = json::parse(ntfyGroupBody(recovered, "t", {}));
  EXPECT_EQ(body["priority"], kNtfyDefaultPriority);
  EXPECT_EQ(body["tags"], (json{"white_check_mark"}));
  EXPECT_EQ(body["message"], "Job a recovered: ok\ntest notice for Job b: t");
  std::vector<NoticeFacts> tests = {notice("a", NoticeState::test, "t"), notice("b", NoticeState::test, "t")};
  for (NoticeFacts& facts : tests) facts.pageUrl = "";
  body = json::parse(ntfyGroupBody(tests, "t", {"x"}));
  EXPECT_EQ(body["priority"], kNtfyDefaultPriority);
  EXPECT_EQ(body["tags"], (json{"x"}));
  EXPECT_FALSE(body.contains("click"));
}

TEST(NtfyGroup, TwoHundredHostileNoticesStayWithinTheLimitAndTheRestAreCounted) {
  json body = json::parse(ntfyGroupBody(hostileGroup(200), "t", {}));
  std::string message = body["message"];
  EXPECT_LE(message.size(), kNtfyMessageMaxBytes);
  std::vector<std::string> lines;
  for (size_t start = 0, end = 0; start <= message.size(); start = end + 1) {
    end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    lines.push_back(message.substr(start, end - start));
  }
  ASSERT_GE(lines.size(), 3u);
  size_t shown = lines.size() - 1;
  EXPECT_EQ(lines.back(), kEllipsis + " and " + std::to_string(200 - shown) + " more");
  for (size_t i = 0; i < shown; ++i) {
    // One line per notice, in order, each cut to a line's worth.
    EXPECT_TRUE(lines[i].starts_with("Job job-" + std::to_string(i) + (i % 3 == 0 ? " recovered: " : " is failing: ")))
        << lines[i];
    EXPECT_LE(lines[i].size(), 256u);
    EXPECT_TRUE(lines[i].ends_with(kEllipsis));
    EXPECT_EQ(lines[i].find('\t'), std::string::npos);
  }
  // Bytes that were never cleaned are measured as sent (U+FFFD, 3 bytes each).
  std::vector<NoticeFacts> raw = hostileGroup(40);
  for (NoticeFacts& facts : raw) facts.message = std::string(4000, '\xff');
  message = json::parse(ntfyGroupBody(raw, "t", {}))["message"];
  EXPECT_LE(message.size(), kNtfyMessageMaxBytes);
  EXPECT_TRUE(message.ends_with(" more"));
}

TEST(AlertmanagerGroup, OneAlertPerNoticeAsItsSingleBodysAlert) {
  std::vector<NoticeFacts> notices = mixedGroup();
  std::map<std::string, std::string> extra{{"team", "ops"}};
  json body = json::parse(alertmanagerGroupBody(notices, extra, 60000));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), notices.size());
  for (size_t i = 0; i < notices.size(); ++i) {
    EXPECT_EQ(body[i], json::parse(alertmanagerBody(notices[i], extra, 60000))[0]) << i;
    EXPECT_EQ(body[i]["labels"]["job_id"], notices[i].jobId);
    EXPECT_EQ(body[i]["labels"]["team"], "ops");
  }
  EXPECT_EQ(body[0]["endsAt"], "2025-12-07T20:28:51.123Z");  // failing: 4 re-sends ahead
  EXPECT_EQ(body[3]["endsAt"], "2025-12-07T20:24:51.123Z");  // recovered: now
}

TEST(NoticeGroups, InvalidUtf8NeverThrowsAndStillParses) {
  std::vector<NoticeFacts> notices = mixedGroup();
  notices[0].message = "bad \xff\xfe bytes \xe2\x82";
  notices[1].jobName = "n\xc0";
  notices[2].instance = "w\xff";
  for (const std::string& body : {webhookGroupBody(notices), slackGroupBody(notices), ntfyGroupBody(notices, "t", {}),
                                  alertmanagerGroupBody(notices, {{"k", "\xff"}}, 1000)}) {
    EXPECT_TRUE(json::accept(body)) << body;
    EXPECT_NE(body.find("\xef\xbf\xbd"), std::string::npos) << body;
  }
}

}  // namespace
}  // namespace checker::channels
