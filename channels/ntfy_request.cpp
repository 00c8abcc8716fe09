#include "channels/ntfy_request.h"

#include "channels/payload_objects.h"
#include "common/utf8_text.h"

namespace checker::channels {
namespace {

constexpr std::string_view kEllipsis = "\xe2\x80\xa6";  // U+2026

}  // namespace

std::string cutWithEllipsis(std::string_view text, size_t maxBytes) {
  if (text.size() <= maxBytes) return std::string(text);
  if (maxBytes < kEllipsis.size()) return std::string(text.substr(0, utf8CutAt(text, maxBytes)));
  return std::string(text.substr(0, utf8CutAt(text, maxBytes - kEllipsis.size()))).append(kEllipsis);
}

std::string ntfyHeadline(const NoticeFacts& facts) {
  switch (facts.state) {
    case NoticeState::failing:
      return facts.jobName + " is failing";
    case NoticeState::recovered:
      return facts.jobName + " recovered";
    case NoticeState::test:
      return "test notice for " + facts.jobName;
  }
  return facts.jobName;
}

// The outcome when the run left no message: ntfy would write "triggered"
// for an empty one.
std::string ntfyMessage(const NoticeFacts& facts, size_t maxBytes) {
  return cutWithEllipsis(facts.message.empty() ? facts.outcome : facts.message, maxBytes);
}

int ntfyPriority(NoticeState state) {
  return state == NoticeState::failing ? kNtfyFailingPriority : kNtfyDefaultPriority;
}

PayloadJson ntfyTags(const std::vector<std::string>& tags, NoticeState state) {
  PayloadJson allTags = PayloadJson::array();
  for (const std::string& tag : tags) allTags.push_back(tag);
  if (state == NoticeState::failing) allTags.push_back("rotating_light");
  if (state == NoticeState::recovered) allTags.push_back("white_check_mark");
  return allTags;
}

std::string ntfyBody(const NoticeFacts& facts, std::string_view topic, const std::vector<std::string>& tags) {
  PayloadJson body = {
      {"topic", topic},
      {"title", "[" + facts.instance + "] " + ntfyHeadline(facts)},
      {"message", ntfyMessage(facts, kNtfyMessageMaxBytes)},
      {"priority", ntfyPriority(facts.state)},
      {"tags", ntfyTags(tags, facts.state)},
  };
  if (std::string page = jobPageLink(facts); !page.empty()) body["click"] = page;
  return payloadText(body);
}

}  // namespace checker::channels
