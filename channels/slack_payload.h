#pragma once
// The `slack` channel's POST body: the incoming-webhook message that
// Slack, Mattermost and Rocket.Chat all accept, {"text": one line,
// "attachments": [one attachment with a colour and fields]}.
//
// Every piece of text from the notice goes through Slack's escaping (&, <
// and > as &amp; &lt; &gt;), so a message can make no link, mention or
// command of Slack's markup ("<!channel>", "<@U123>", "<http://x|y>"); an
// '@' before a name also gets a WORD JOINER (U+2060) after it, because
// Mattermost and Rocket.Chat read a bare "@channel" or "@all" as a mention.
// The message is capped at kSlackMessageMaxBytes (escaped), cut between
// code points and ending in "…" when cut.
#include <cstddef>
#include <string>
#include <string_view>

#include "channels/notice.h"

namespace checker::channels {

// Slack shows up to 3000 characters of a section's text; a job's message
// longer than that is its output, not a summary, and the page has it.
inline constexpr size_t kSlackMessageMaxBytes = 3000;

std::string slackBody(const NoticeFacts& facts);

// TEXT with Slack's control characters escaped and mentions broken, as
// above; on one line (line breaks and tabs as spaces), at most MAXBYTES
// bytes, never cut inside a UTF-8 sequence or an escape.
std::string slackEscaped(std::string_view text, size_t maxBytes = SIZE_MAX);

}  // namespace checker::channels
