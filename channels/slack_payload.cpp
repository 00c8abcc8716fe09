#include "channels/slack_payload.h"

#include "channels/payload_objects.h"

namespace checker::channels {
namespace {

constexpr std::string_view kEllipsis = "\xe2\x80\xa6";       // U+2026
constexpr std::string_view kWordJoiner = "\xe2\x81\xa0";     // U+2060

// Bytes of the UTF-8 sequence that starts at TEXT[I]: its lead byte's
// length when that many continuation bytes follow, else 1 (a stray byte,
// which the JSON writer replaces), so a broken sequence can never swallow
// a '<' or '@' after it past the escaping.
size_t sequenceLength(std::string_view text, size_t i) {
  auto lead = static_cast<unsigned char>(text[i]);
  size_t length = 1;
  if (lead >= 0xf0 && lead <= 0xf4) length = 4;
  if (lead >= 0xe0 && lead <= 0xef) length = 3;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  if (length > text.size() - i) return 1;
  for (size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 1;
  }
  return length;
}

bool isNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The escaped form of the code point at TEXT[I..I+N).
std::string_view escapedPiece(std::string_view text, size_t i, size_t n, std::string& scratch) {
  switch (text[i]) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '\n':
    case '\r':
    case '\t':
      return " ";
    case '@':
      if (i + 1 < text.size() && isNameCharacter(text[i + 1])) {
        scratch = "@";
        scratch += kWordJoiner;
        return scratch;
      }
      return "@";
    default:
      return text.substr(i, n);
  }
}

// TEXT escaped, stopping before the first piece that would pass LIMIT
// bytes; *COMPLETE says whether all of TEXT fit.
std::string escapeUpTo(std::string_view text, size_t limit, bool* complete) {
  std::string out, scratch;
  *complete = true;
  for (size_t i = 0; i < text.size();) {
    size_t n = sequenceLength(text, i);
    std::string_view piece = escapedPiece(text, i, n, scratch);
    if (piece.size() > limit - out.size()) {
      *complete = false;
      break;
    }
    out += piece;
    i += n;
  }
  return out;
}

const char* colour(NoticeState state) {
  switch (state) {
    case NoticeState::failing:
      return "danger";
    case NoticeState::recovered:
      return "good";
    case NoticeState::test:
      return "#439FE0";  // Slack's own blue for information
  }
  return "danger";
}

PayloadJson field(std::string_view title, std::string value) {
  return {{"title", title}, {"value", std::move(value)}, {"short", true}};
}

}  // namespace

std::string slackEscaped(std::string_view text, size_t maxBytes) {
  bool complete = false;
  std::string whole = escapeUpTo(text, maxBytes, &complete);
  if (complete) return whole;
  if (maxBytes < kEllipsis.size()) return whole;
  return escapeUpTo(text, maxBytes - kEllipsis.size(), &complete).append(kEllipsis);
}

std::string slackNoticeLine(const NoticeFacts& facts, size_t maxMessageBytes) {
  std::string line = "[" + slackEscaped(facts.instance) + "] ";
  std::string name = slackEscaped(facts.jobName);
  switch (facts.state) {
    case NoticeState::failing:
      line += "job " + name + " is failing";
      break;
    case NoticeState::recovered:
      line += "job " + name + " recovered";
      break;
    case NoticeState::test:
      line += "test notice for job " + name;
      break;
  }
  std::string_view message = facts.message.empty() ? std::string_view(facts.outcome) : facts.message;
  if (!message.empty()) line += ": " + slackEscaped(message, maxMessageBytes);
  return line;
}

PayloadJson slackAttachment(const NoticeFacts& facts, const std::string& fallback) {
  PayloadJson fields = PayloadJson::array();
  fields.push_back(field("Job", slackEscaped(facts.jobName)));
  fields.push_back(field("Job id", slackEscaped(facts.jobId)));
  fields.push_back(field("State", noticeStateName(facts.state)));
  fields.push_back(field("Outcome", slackEscaped(facts.outcome)));
  if (facts.sinceUnixMs != 0) fields.push_back(field("Failing since", utcTimestamp(facts.sinceUnixMs)));
  if (facts.failures != 0) fields.push_back(field("Consecutive failures", std::to_string(facts.failures)));
  PayloadJson one = {{"color", colour(facts.state)}, {"fallback", fallback}, {"title", slackEscaped(facts.jobName)}};
  // A link the notice's text cannot have made: the configured page URL and
  // a percent-encoded id.
  if (std::string page = jobPageLink(facts); !page.empty()) one["title_link"] = page;
  one["fields"] = std::move(fields);
  one["footer"] = "checker on " + slackEscaped(facts.instance);
  one["ts"] = facts.atUnixMs / 1000;
  return one;
}

std::string slackBody(const NoticeFacts& facts) {
  std::string text = slackNoticeLine(facts, kSlackMessageMaxBytes);
  PayloadJson body = {{"text", text}, {"attachments", PayloadJson::array({slackAttachment(facts, text)})}};
  return payloadText(body);
}

}  // namespace checker::channels
