#pragma once
// Several notices of one channel sent as one (the channel's group_wait:
// many jobs failing, or recovering, within a short window). Each channel
// type's group payload, built from the same facts as the single ones;
// pure, no I/O. NOTICES holds at least two notices, in the order they were
// made; a caller with one uses the single payload instead.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "channels/notice.h"

namespace checker::channels {

// The most a Slack group body may hold: under Mattermost's post limit
// (16,383 characters; Slack and Rocket.Chat take more), so a storm of
// failures shows about twenty of them by name, not three.
inline constexpr size_t kSlackGroupBodyMaxBytes = 16'000;

// "3 jobs failing, 1 recovered on web-1": counts by state (failing,
// recovered, then "2 test notices"), then the instance (every notice of a
// group is of one instance; the first's is taken); for a title or a mail's
// subject.
std::string groupSummary(const std::vector<NoticeFacts>& notices);

// {"version": 1, "instance", "group": true, "summary": groupSummary,
// "notices": [each notice's webhookBody object, in order]}. A receiver
// tells a group from a single notice by "group" (absent or false: single).
std::string webhookGroupBody(const std::vector<NoticeFacts>& notices);

// One message: the summary as its text, one attachment per notice (as
// slackBody's, its message cut to 200 bytes and also given as the
// attachment's "text", which Slack shows where it does not show the
// fallback), the whole body at most kSlackGroupBodyMaxBytes: notices that do
// not fit are counted in a last attachment ("… and 12 more"). Escaped as
// slackBody is, so no notice can make a mention or a link.
std::string slackGroupBody(const std::vector<NoticeFacts>& notices);

// One ntfy message: the summary as title, one line per notice ("Disk /var
// is failing: MESSAGE", at most 256 bytes) as message within
// kNtfyMessageMaxBytes (the rest counted, "… and 12 more"), priority
// urgent when any is failing, tags TAGS then rotating_light when any is
// failing, else white_check_mark when any recovered; click: the status
// page (the page URL) when there is one.
std::string ntfyGroupBody(const std::vector<NoticeFacts>& notices, std::string_view topic,
                          const std::vector<std::string>& tags);

// One array holding each notice's alert (alertmanagerBody's element), in
// order: Alertmanager groups them by its own route.
std::string alertmanagerGroupBody(const std::vector<NoticeFacts>& notices,
                                  const std::map<std::string, std::string>& extraLabels, int64_t resendEveryMs);

}  // namespace checker::channels
