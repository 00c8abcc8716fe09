#pragma once
// The `ntfy` channel's request body in ntfy's JSON publish format
// (https://docs.ntfy.sh/publish/#publish-as-json): the whole message as
// one JSON object POSTed to the server's root URL (not the topic's URL),
// so the topic, title and tags need no HTTP headers (which could not carry
// UTF-8) and the message needs no header escaping.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "channels/notice.h"

namespace checker::channels {

// ntfy keeps a message up to 4096 bytes as text and turns a longer one
// into an attachment; cut before that, between code points, with "…".
inline constexpr size_t kNtfyMessageMaxBytes = 4096;

// ntfy's priorities, 1 (min) to 5 (max, "urgent": a long vibration and a
// pop-over): a failure is urgent, a recovery or a test the default.
inline constexpr int kNtfyFailingPriority = 5;
inline constexpr int kNtfyDefaultPriority = 3;

// {"topic", "title", "message", "priority", "tags": [TAGS..., then
// "rotating_light" when failing or "white_check_mark" when recovered],
// "click": the job's page (only when FACTS has a page URL)}.
std::string ntfyBody(const NoticeFacts& facts, std::string_view topic, const std::vector<std::string>& tags);

}  // namespace checker::channels
