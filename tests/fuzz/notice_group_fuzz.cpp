// libFuzzer target: channels/notice_group.h, the payloads that carry
// several notices as one, built from a job's text (its message and name,
// bytes a job chooses, cleaned or not) and the instance's name. The input
// is split at NUL bytes into fields, four per notice: instance, job name,
// job id, message; the first byte of each message picks its state.
//
// What must hold, whatever the bytes:
//   - every body is JSON that nlohmann::json's reader accepts;
//   - the Slack body is at most kSlackGroupBodyMaxBytes and holds no '<'
//     (no notice can make a mention, a link or a command), and it shows or
//     counts every notice;
//   - ntfy's message is at most kNtfyMessageMaxBytes and counts the rest;
//   - the webhook's and Alertmanager's groups hold every notice.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/notice_group.h"
#include "channels/ntfy_request.h"
#include "channels/slack_payload.h"

namespace {

using checker::channels::NoticeFacts;
using checker::channels::NoticeState;
using nlohmann::json;

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "notice_group_fuzz: %s\n", what);
    std::abort();
  }
}

std::vector<NoticeFacts> noticesFrom(std::string_view input) {
  std::vector<std::string> fields;
  for (size_t start = 0;;) {
    size_t end = input.find('\0', start);
    fields.emplace_back(input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<NoticeFacts> notices;
  for (size_t i = 0; i + 3 < fields.size() || notices.size() < 2; i += 4) {
    auto field = [&](size_t k) { return i + k < fields.size() ? fields[i + k] : std::string(); };
    NoticeFacts facts;
    facts.instance = field(0);
    facts.jobName = field(1);
    facts.jobId = field(2);
    facts.message = field(3);
    facts.state = static_cast<NoticeState>(facts.message.empty() ? 0 : static_cast<unsigned char>(facts.message[0]) % 3);
    facts.outcome = facts.state == NoticeState::failing ? "failed" : "ok";
    facts.sinceUnixMs = 1765138000000;
    facts.atUnixMs = 1765139091123;
    facts.failures = 2;
    facts.pageUrl = "http://host:5000";
    notices.push_back(std::move(facts));
  }
  return notices;
}

// The count in the last element's "… and N more", or 0.
size_t counted(const std::string& last) {
  size_t at = last.find(" and ");
  if (at == std::string::npos || !last.ends_with(" more")) return 0;
  return std::stoul(last.substr(at + 5));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<NoticeFacts> notices = noticesFrom(std::string_view(reinterpret_cast<const char*>(data), size));

  std::string slack = checker::channels::slackGroupBody(notices);
  require(slack.size() <= checker::channels::kSlackGroupBodyMaxBytes, "the Slack body is over its limit");
  require(slack.find('<') == std::string::npos, "the Slack body holds a '<'");
  json attachments = json::parse(slack)["attachments"];
  size_t slackShown = attachments.size(), slackMore = 0;
  if (slackShown != 0 && !attachments.back().contains("title")) {
    --slackShown;
    slackMore = counted(attachments.back()["text"]);
  }
  require(slackShown + slackMore == notices.size(), "the Slack body loses notices");

  json ntfy = json::parse(checker::channels::ntfyGroupBody(notices, "t", {"x"}));
  std::string message = ntfy["message"];
  require(message.size() <= checker::channels::kNtfyMessageMaxBytes, "the ntfy message is over its limit");
  size_t lastLine = message.rfind('\n');
  std::string last = lastLine == std::string::npos ? message : message.substr(lastLine + 1);
  size_t lines = static_cast<size_t>(std::count(message.begin(), message.end(), '\n')) + 1;
  size_t more = counted(last);
  require((more != 0 ? lines - 1 + more : lines) == notices.size(), "the ntfy message loses notices");

  require(json::parse(checker::channels::webhookGroupBody(notices))["notices"].size() == notices.size(),
          "the webhook group loses notices");
  require(json::parse(checker::channels::alertmanagerGroupBody(notices, {{"k", "v"}}, 60000)).size() ==
              notices.size(),
          "the Alertmanager group loses notices");
  return 0;
}
