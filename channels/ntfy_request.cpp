#include "channels/ntfy_request.h"

#include "channels/payload_json.h"
#include "common/utf8_text.h"

namespace checker::channels {
namespace {

constexpr std::string_view kEllipsis = "\xe2\x80\xa6";  // U+2026

std::string title(const NoticeFacts& facts) {
  std::string prefix = "[" + facts.instance + "] ";
  switch (facts.state) {
    case NoticeState::failing:
      return prefix + facts.jobName + " is failing";
    case NoticeState::recovered:
      return prefix + facts.jobName + " recovered";
    case NoticeState::test:
      return prefix + "test notice for " + facts.jobName;
  }
  return prefix + facts.jobName;
}

// The message, or the outcome when the run left none (ntfy would write
// "triggered" for an empty one), capped.
std::string message(const NoticeFacts& facts) {
  const std::string& text = facts.message.empty() ? facts.outcome : facts.message;
  if (text.size() <= kNtfyMessageMaxBytes) return text;
  size_t cut = utf8CutAt(text, kNtfyMessageMaxBytes - kEllipsis.size());
  return text.substr(0, cut).append(kEllipsis);
}

}  // namespace

std::string ntfyBody(const NoticeFacts& facts, std::string_view topic, const std::vector<std::string>& tags) {
  PayloadJson allTags = PayloadJson::array();
  for (const std::string& tag : tags) allTags.push_back(tag);
  if (facts.state == NoticeState::failing) allTags.push_back("rotating_light");
  if (facts.state == NoticeState::recovered) allTags.push_back("white_check_mark");
  PayloadJson body = {
      {"topic", topic},
      {"title", title(facts)},
      {"message", message(facts)},
      {"priority", facts.state == NoticeState::failing ? kNtfyFailingPriority : kNtfyDefaultPriority},
      {"tags", std::move(allTags)},
  };
  if (std::string page = jobPageLink(facts); !page.empty()) body["click"] = page;
  return payloadText(body);
}

}  // namespace checker::channels
