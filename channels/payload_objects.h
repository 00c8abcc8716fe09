#pragma once
// The parts of one notice's payload that a single payload and a group
// payload (notice_group) both carry, so a group holds each notice exactly
// as its single payload would (internal to channels/). Each is defined
// beside the single payload it comes from.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "channels/notice.h"
#include "channels/payload_json.h"

namespace checker::channels {

// webhook_payload.cpp: the object webhookBody sends.
PayloadJson webhookObject(const NoticeFacts& facts);

// slack_payload.cpp: the one line slackBody sends as its text, "[web1] job
// Disk /var is failing: MESSAGE", the message (or else the outcome)
// escaped and cut to MAXMESSAGEBYTES; and the attachment slackBody sends,
// with FALLBACK as its fallback.
std::string slackNoticeLine(const NoticeFacts& facts, size_t maxMessageBytes);
PayloadJson slackAttachment(const NoticeFacts& facts, const std::string& fallback);

// TEXT (valid UTF-8) whole when it fits MAXBYTES, else cut between code
// points to end in "…" within MAXBYTES (ntfy_request.cpp).
std::string cutWithEllipsis(std::string_view text, size_t maxBytes);

// ntfy_request.cpp: "Disk /var is failing" ("recovered", "test notice for
// ..."), the title without the instance; the message or else the outcome,
// cut to MAXBYTES with "…"; the priority and the tags (TAGS, then one for
// the state) of a notice in STATE.
std::string ntfyHeadline(const NoticeFacts& facts);
std::string ntfyMessage(const NoticeFacts& facts, size_t maxBytes);
int ntfyPriority(NoticeState state);
PayloadJson ntfyTags(const std::vector<std::string>& tags, NoticeState state);

// alertmanager_alerts.cpp: the one alert alertmanagerBody's array holds.
PayloadJson alertmanagerAlert(const NoticeFacts& facts, const std::map<std::string, std::string>& extraLabels,
                              int64_t resendEveryMs);

}  // namespace checker::channels
