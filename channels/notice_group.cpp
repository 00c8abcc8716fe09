#include "channels/notice_group.h"

#include <algorithm>

#include "channels/ntfy_request.h"
#include "channels/payload_objects.h"
#include "channels/slack_payload.h"
#include "channels/webhook_payload.h"
#include "common/utf8_text.h"

namespace checker::channels {
namespace {

// A notice's message within a group: one line's worth, so that several
// notices fit the message's cap rather than the first one's output filling it.
constexpr size_t kSlackGroupMessageMaxBytes = 200;
constexpr size_t kNtfyGroupLineMaxBytes = 256;
// The summary's share of a Slack group (JSON can write a byte of it as up
// to six), so the count of the notices left out always fits after it.
constexpr size_t kSlackGroupTextMaxBytes = kSlackMessageMaxBytes / 8;

struct StateCounts {
  size_t failing = 0, recovered = 0, test = 0;
};

StateCounts countStates(const std::vector<NoticeFacts>& notices) {
  StateCounts counts;
  for (const NoticeFacts& facts : notices) {
    if (facts.state == NoticeState::failing) ++counts.failing;
    if (facts.state == NoticeState::recovered) ++counts.recovered;
    if (facts.state == NoticeState::test) ++counts.test;
  }
  return counts;
}

// The state that sets a group's colour, priority and tags: failing when
// any is, else recovered when any is, else test.
NoticeState mostUrgent(const std::vector<NoticeFacts>& notices) {
  StateCounts counts = countStates(notices);
  if (counts.failing != 0) return NoticeState::failing;
  if (counts.recovered != 0) return NoticeState::recovered;
  return NoticeState::test;
}

const std::string& instanceOf(const std::vector<NoticeFacts>& notices) {
  static const std::string kNone;
  return notices.empty() ? kNone : notices.front().instance;
}

std::string moreLine(size_t left) { return "\xe2\x80\xa6 and " + std::to_string(left) + " more"; }

// How many of the first pieces of a list of TOTAL (their sizes in bytes
// in SIZES, which may stop early; each joined to the previous by
// SEPARATORBYTES) fit within MAXBYTES after USEDBYTES, together with the
// count of those left out (MORESIZE(left) bytes, joined the same way).
template <typename MoreSize>
size_t fittingPrefix(const std::vector<size_t>& sizes, size_t total, size_t usedBytes, size_t separatorBytes,
                     size_t maxBytes, MoreSize moreSize) {
  size_t used = usedBytes, taken = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    size_t withPiece = used + (taken != 0 ? separatorBytes : 0) + sizes[i];
    size_t left = total - i - 1;
    size_t needed = withPiece + (left != 0 ? separatorBytes + moreSize(left) : 0);
    if (needed > maxBytes) break;
    used = withPiece;
    ++taken;
  }
  return taken;
}

// A notice's attachment in a Slack group: slackBody's, its message cut to
// a line, and the message also as the attachment's text, since Slack shows
// an attachment's text but not its fallback.
PayloadJson slackGroupAttachment(const NoticeFacts& facts) {
  PayloadJson one = slackAttachment(facts, slackNoticeLine(facts, kSlackGroupMessageMaxBytes));
  std::string_view message = facts.message.empty() ? std::string_view(facts.outcome) : facts.message;
  one["text"] = slackEscaped(message, kSlackGroupMessageMaxBytes);
  return one;
}

PayloadJson slackMoreAttachment(size_t left) {
  std::string line = moreLine(left);
  return {{"fallback", line}, {"text", line}};
}

// "Disk /var is failing: took longer than 30 s" on one line, valid UTF-8
// (text that was not cleaned gets its U+FFFD here, so it is measured as sent).
std::string ntfyGroupLine(const NoticeFacts& facts) {
  std::string line = validUtf8(ntfyHeadline(facts) + ": " + ntfyMessage(facts, kNtfyGroupLineMaxBytes));
  std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return cutWithEllipsis(line, kNtfyGroupLineMaxBytes);
}

void appendCount(std::string& out, size_t count, const char* noun, const char* what) {
  if (count == 0) return;
  bool first = out.empty();
  if (!first) out += ", ";
  out += std::to_string(count);
  if (first) out += std::string(" ") + noun + (count == 1 ? "" : "s");
  out += std::string(" ") + what;
}

}  // namespace

std::string groupSummary(const std::vector<NoticeFacts>& notices) {
  StateCounts counts = countStates(notices);
  std::string out;
  appendCount(out, counts.failing, "job", "failing");
  appendCount(out, counts.recovered, "job", "recovered");
  if (counts.test != 0) {
    if (!out.empty()) out += ", ";
    out += std::to_string(counts.test) + (counts.test == 1 ? " test notice" : " test notices");
  }
  if (out.empty()) out = "no notices";
  if (!instanceOf(notices).empty()) out += " on " + instanceOf(notices);
  return out;
}

std::string webhookGroupBody(const std::vector<NoticeFacts>& notices) {
  PayloadJson all = PayloadJson::array();
  for (const NoticeFacts& facts : notices) all.push_back(webhookObject(facts));
  PayloadJson body = {
      {"version", kWebhookPayloadVersion},
      {"instance", instanceOf(notices)},
      {"group", true},
      {"summary", groupSummary(notices)},
      {"notices", std::move(all)},
  };
  return payloadText(body);
}

std::string slackGroupBody(const std::vector<NoticeFacts>& notices) {
  PayloadJson body = {{"text", slackEscaped(groupSummary(notices), kSlackGroupTextMaxBytes)},
                      {"attachments", PayloadJson::array()}};
  std::vector<PayloadJson> attachments;
  std::vector<size_t> sizes;
  // Built and measured only until they are sure not to fit.
  for (size_t i = 0, sum = 0; i < notices.size() && sum <= kSlackGroupBodyMaxBytes; ++i) {
    attachments.push_back(slackGroupAttachment(notices[i]));
    sizes.push_back(payloadText(attachments.back()).size());
    sum += sizes.back();
  }
  auto moreSize = [](size_t left) { return payloadText(slackMoreAttachment(left)).size(); };
  size_t shown =
      fittingPrefix(sizes, notices.size(), payloadText(body).size(), 1, kSlackGroupBodyMaxBytes, moreSize);
  for (size_t i = 0; i < shown; ++i) body["attachments"].push_back(std::move(attachments[i]));
  if (shown < notices.size()) body["attachments"].push_back(slackMoreAttachment(notices.size() - shown));
  return payloadText(body);
}

std::string ntfyGroupBody(const std::vector<NoticeFacts>& notices, std::string_view topic,
                          const std::vector<std::string>& tags) {
  std::vector<std::string> lines;
  std::vector<size_t> sizes;
  for (size_t i = 0, sum = 0; i < notices.size() && sum <= kNtfyMessageMaxBytes; ++i) {
    lines.push_back(ntfyGroupLine(notices[i]));
    sizes.push_back(lines.back().size());
    sum += sizes.back();
  }
  auto moreSize = [](size_t left) { return moreLine(left).size(); };
  size_t shown = fittingPrefix(sizes, notices.size(), 0, 1, kNtfyMessageMaxBytes, moreSize);
  std::string message;
  for (size_t i = 0; i < shown; ++i) message.append(i != 0 ? "\n" : "").append(lines[i]);
  if (shown < notices.size()) message.append(shown != 0 ? "\n" : "").append(moreLine(notices.size() - shown));
  NoticeState state = mostUrgent(notices);
  PayloadJson body = {
      {"topic", topic},
      {"title", groupSummary(notices)},
      {"message", message},
      {"priority", ntfyPriority(state)},
      {"tags", ntfyTags(tags, state)},
  };
  // No one job's page: the status page's front, where all of them are.
  if (!notices.empty() && !notices.front().pageUrl.empty()) body["click"] = notices.front().pageUrl;
  return payloadText(body);
}

std::string alertmanagerGroupBody(const std::vector<NoticeFacts>& notices,
                                  const std::map<std::string, std::string>& extraLabels, int64_t resendEveryMs) {
  PayloadJson alerts = PayloadJson::array();
  for (const NoticeFacts& facts : notices) alerts.push_back(alertmanagerAlert(facts, extraLabels, resendEveryMs));
  return payloadText(alerts);
}

}  // namespace checker::channels
