#include "mailer/channel_request.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

#include "channels/alertmanager_alerts.h"
#include "channels/notice_group.h"
#include "channels/ntfy_request.h"
#include "channels/slack_payload.h"
#include "channels/webhook_payload.h"
#include "common/curl_on_uv.h"
#include "common/utf8_text.h"
#include "config/http_url.h"

namespace checker::mailer {
namespace {

// How much of a receiver's answer (or of where it redirects to) goes into
// the reply that `checker status` shows.
constexpr size_t kReplyTextMaxBytes = 200;

std::string text(capnp::Text::Reader value) { return std::string(value.cStr(), value.size()); }

std::string lowered(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

// Headers that checker sets itself: a channel's header.NAME cannot replace
// them (the signature must match the body; libcurl owns the framing).
bool reservedHeader(const std::string& name) {
  std::string lower = lowered(name);
  return lower == "content-type" || lower == "content-length" || lower == "expect" || lower == "host" ||
         lower == "transfer-encoding" || lower == lowered(std::string(channels::kWebhookTimestampHeader)) ||
         lower == lowered(std::string(channels::kWebhookSignatureHeader));
}

// The receiver's host, for the reply: never the whole URL, whose path or
// query may be its secret.
std::string hostOf(const std::string& url) {
  Result<HttpUrl> parsed = parseHttpUrl(url);
  return parsed ? parsed->host : std::string("?");
}

// RAW (from the receiver or libcurl) as printable UTF-8 on one line, short:
// cleanLine, and its tabs as spaces.
std::string replyText(std::string_view raw) {
  std::string text = cleanLine(raw, kReplyTextMaxBytes);
  std::replace(text.begin(), text.end(), '\t', ' ');
  return text;
}

// The first non-empty line of BODY, as replyText.
std::string firstLine(const std::string& body) {
  size_t start = body.find_first_not_of("\r\n \t");
  if (start == std::string::npos) return "";
  size_t end = body.find_first_of("\r\n", start);
  return replyText(std::string_view(body).substr(start, end == std::string::npos ? std::string::npos : end - start));
}

bool retriedClientError(long status) { return status == 408 || status == 425 || status == 429; }

void addChannelHeaders(const ChannelSettings& channel, std::vector<std::string>& headers) {
  for (const auto& [name, value] : channel.headers) {
    if (!reservedHeader(name)) headers.push_back(name + ": " + value);
  }
}

// The request for CHANNEL around BODY (made by the caller for the type):
// the URLs, and the type's headers.
ChannelRequest requestAround(const ChannelSettings& channel, std::string body, int64_t nowSeconds) {
  ChannelRequest request;
  request.urls = channel.type == ChannelType::alertmanager ? channel.urls : std::vector<std::string>{channel.url};
  request.headers = {"Content-Type: application/json", "Expect:"};
  request.body = std::move(body);
  if (channel.type == ChannelType::webhook) {
    std::string timestamp = std::to_string(nowSeconds);
    request.headers.push_back(std::string(channels::kWebhookTimestampHeader) + ": " + timestamp);
    if (!channel.secret.empty()) {
      request.headers.push_back(std::string(channels::kWebhookSignatureHeader) + ": " +
                                channels::webhookSignature(channel.secret, timestamp, request.body));
    }
  }
  if (channel.type == ChannelType::ntfy && !channel.token.empty()) {
    request.headers.push_back("Authorization: Bearer " + channel.token);
  }
  if (channel.type == ChannelType::webhook || channel.type == ChannelType::alertmanager) {
    addChannelHeaders(channel, request.headers);
  }
  return request;
}

std::map<std::string, std::string> labelsOf(const ChannelSettings& channel) {
  return {channel.labels.begin(), channel.labels.end()};
}

Error sentAsMail(const ChannelSettings& channel) {
  return Error{"channel " + channel.name + " is of type email: it is sent as mail"};
}

}  // namespace

Result<channels::NoticeFacts> noticeFactsFrom(ipc::ChannelNotice::Reader notice) {
  channels::NoticeFacts facts;
  std::string state = text(notice.getState());
  if (state == "failing") facts.state = channels::NoticeState::failing;
  else if (state == "recovered") facts.state = channels::NoticeState::recovered;
  else if (state == "test") facts.state = channels::NoticeState::test;
  else return Error{"notice state '" + replyText(state) + "' is not failing, recovered or test"};
  facts.instance = text(notice.getInstance());
  facts.jobId = text(notice.getJobId());
  facts.jobName = text(notice.getJobName());
  facts.jobType = text(notice.getJobType());
  facts.outcome = text(notice.getOutcome());
  facts.message = text(notice.getMessage());
  facts.sinceUnixMs = notice.getSinceUnixMs();
  facts.atUnixMs = notice.getAtUnixMs();
  facts.failures = notice.getFailures();
  facts.pageUrl = text(notice.getPageUrl());
  return facts;
}

Result<ChannelRequest> buildChannelRequest(const ChannelSettings& channel, const channels::NoticeFacts& facts,
                                           int64_t nowSeconds) {
  switch (channel.type) {
    case ChannelType::webhook: return requestAround(channel, channels::webhookBody(facts), nowSeconds);
    case ChannelType::slack: return requestAround(channel, channels::slackBody(facts), nowSeconds);
    case ChannelType::ntfy:
      return requestAround(channel, channels::ntfyBody(facts, channel.topic, channel.tags), nowSeconds);
    case ChannelType::alertmanager:
      return requestAround(channel, channels::alertmanagerBody(facts, labelsOf(channel), channel.resendEvery.count()),
                           nowSeconds);
    case ChannelType::email: break;
  }
  return sentAsMail(channel);
}

Result<ChannelRequest> buildChannelGroupRequest(const ChannelSettings& channel,
                                                const std::vector<channels::NoticeFacts>& facts, int64_t nowSeconds) {
  if (facts.size() == 1) return buildChannelRequest(channel, facts.front(), nowSeconds);
  switch (channel.type) {
    case ChannelType::webhook: return requestAround(channel, channels::webhookGroupBody(facts), nowSeconds);
    case ChannelType::slack: return requestAround(channel, channels::slackGroupBody(facts), nowSeconds);
    case ChannelType::ntfy:
      return requestAround(channel, channels::ntfyGroupBody(facts, channel.topic, channel.tags), nowSeconds);
    case ChannelType::alertmanager:
      return requestAround(channel,
                           channels::alertmanagerGroupBody(facts, labelsOf(channel), channel.resendEvery.count()),
                           nowSeconds);
    case ChannelType::email: break;
  }
  return sentAsMail(channel);
}

SmtpOutcome classifyChannelAnswer(const ChannelSettings& channel, const ChannelAnswer& answer) {
  SmtpOutcome outcome;
  outcome.replyCode = answer.httpStatus;
  std::string prefix = channelLabel(channel) + ": ";
  std::string host = hostOf(answer.url.empty() ? channel.url : answer.url);
  if (answer.curlCode != CURLE_OK) {
    std::string what = answer.curlError.empty() ? curl_easy_strerror(static_cast<CURLcode>(answer.curlCode))
                                                : answer.curlError;
    outcome.step = curlStepOf(answer.curlCode, "send");
    outcome.serverReply = prefix + "no answer from " + host + ": " + replyText(what);
    return outcome;  // connection, TLS, timeout: not now
  }
  long status = answer.httpStatus;
  outcome.serverReply = prefix + "HTTP " + std::to_string(status) + " from " + host;
  if (status >= 200 && status < 300) {
    outcome.accepted = true;
    return outcome;
  }
  outcome.step = "send";
  if (status >= 300 && status < 400) {
    outcome.permanent = true;
    std::string target = answer.redirectUrl.empty() ? "elsewhere" : replyText(answer.redirectUrl);
    outcome.serverReply += ": redirect to " + target + " not followed: fix url";
    return outcome;
  }
  outcome.permanent = status >= 400 && status < 500 && !retriedClientError(status);
  if (status < 100 || status >= 600) outcome.permanent = false;  // not HTTP as we know it: try again later
  std::string said = firstLine(answer.body);
  if (!said.empty()) outcome.serverReply += ": " + said;
  return outcome;
}

SmtpOutcome combineChannelOutcomes(const ChannelSettings& channel, const std::vector<SmtpOutcome>& outcomes) {
  if (outcomes.size() == 1) return outcomes.front();
  SmtpOutcome combined;
  combined.permanent = !outcomes.empty();
  std::string prefix = channelLabel(channel) + ": ";
  combined.serverReply = prefix;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const SmtpOutcome& one = outcomes[i];
    if (one.accepted && !combined.accepted) {
      combined.accepted = true;
      combined.replyCode = one.replyCode;
    }
    combined.permanent = combined.permanent && one.permanent;
    if (!one.accepted && combined.step.empty()) combined.step = one.step;
    std::string_view reply = one.serverReply;
    if (reply.rfind(prefix, 0) == 0) reply.remove_prefix(prefix.size());
    combined.serverReply += (i == 0 ? "" : "; ") + std::string(reply);
  }
  if (combined.accepted) {
    combined.permanent = false;
    combined.step.clear();
  } else if (!outcomes.empty() && combined.replyCode == 0) {
    combined.replyCode = outcomes.front().replyCode;
  }
  return combined;
}

}  // namespace checker::mailer
