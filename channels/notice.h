#pragma once
// The facts of one notice (a job failing, recovering, or a test notice),
// independent of the channel that carries it: each channel type turns them
// into its own payload (webhook_payload, slack_payload, ntfy_request,
// alertmanager_alerts). Pure data and text, no I/O.
#include <cstdint>
#include <string>

namespace checker::channels {

enum class NoticeState { failing, recovered, test };

struct NoticeFacts {
  std::string instance;  // [general] servername
  std::string jobId, jobName, jobType;
  NoticeState state = NoticeState::failing;
  std::string outcome;     // "failed", "timeout", "crashed", ... as outcomeName gives; "ok" on recovery
  std::string message;     // the run's message (clean UTF-8 already)
  int64_t sinceUnixMs = 0;  // failing since (0: not failing)
  int64_t atUnixMs = 0;     // when the notice was made
  uint32_t failures = 0;    // consecutive failures
  std::string pageUrl;      // base URL of the status page ("" when none), e.g. "http://host:5000"
};

// "failing", "recovered", "test".
const char* noticeStateName(NoticeState state);

// UNIX_MS as RFC 3339 / ISO 8601 in UTC with milliseconds,
// "2026-12-07T20:24:51.123Z": the form Alertmanager's API v2 takes, and
// one form for every payload so receivers parse one.
std::string utcTimestamp(int64_t unixMs);

// The job's page on the status page, PAGEURL + "/job/" + the percent-encoded
// id (the path peerd serves, the id decoded there with the same coding);
// "" when FACTS has no page URL. A trailing '/' of the page URL is not
// doubled.
std::string jobPageLink(const NoticeFacts& facts);

}  // namespace checker::channels
