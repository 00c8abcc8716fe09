#pragma once
// Several notices of one channel sent as one (the channel's group_wait:
// many jobs failing, or recovering, within a short window). Each channel
// type's group payload, built from the same facts as the single ones;
// pure, no I/O. NOTICES holds at least two notices, in the order they were
// made; a caller with one uses the single payload instead.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "channels/notice.h"

namespace checker::channels {

// "3 jobs failing, 1 recovered on web-1": counts by state, then the
// instance (every notice of a group is of one instance); for a title or a
// mail's subject.
std::string groupSummary(const std::vector<NoticeFacts>& notices);

// {"version": 1, "instance", "group": true, "summary": groupSummary,
// "notices": [each notice's webhookBody object, in order]}. A receiver
// tells a group from a single notice by "group" (absent or false: single).
std::string webhookGroupBody(const std::vector<NoticeFacts>& notices);

// One message: the summary as its text, one attachment per notice (as
// slackBody's), at most kSlackMessageMaxBytes in all: notices that do not
// fit are counted in a last line ("… and 12 more").
std::string slackGroupBody(const std::vector<NoticeFacts>& notices);

// One ntfy message: the summary as title, one line per notice (job, state,
// message cut to a line) as message within kNtfyMessageMaxBytes (the rest
// counted, "… and 12 more"), priority urgent when any is failing, tags
// TAGS then rotating_light when any is failing else white_check_mark.
std::string ntfyGroupBody(const std::vector<NoticeFacts>& notices, std::string_view topic,
                          const std::vector<std::string>& tags);

// One array holding each notice's alert (alertmanagerBody's element).
std::string alertmanagerGroupBody(const std::vector<NoticeFacts>& notices,
                                  const std::map<std::string, std::string>& extraLabels, int64_t resendEveryMs);

}  // namespace checker::channels
