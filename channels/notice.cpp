#include "channels/notice.h"

#include <cstdio>
#include <ctime>

#include "common/percent_encoding.h"

namespace checker::channels {

const char* noticeStateName(NoticeState state) {
  switch (state) {
    case NoticeState::failing:
      return "failing";
    case NoticeState::recovered:
      return "recovered";
    case NoticeState::test:
      return "test";
  }
  return "failing";
}

std::string utcTimestamp(int64_t unixMs) {
  // Floor division, so a time before 1970 still has milliseconds 0..999.
  int64_t seconds = unixMs / 1000, millis = unixMs % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  time_t t = static_cast<time_t>(seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return std::string(date) + fraction;
}

std::string jobPageLink(const NoticeFacts& facts) {
  if (facts.pageUrl.empty()) return "";
  std::string base = facts.pageUrl;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/job/" + percentEncode(facts.jobId);
}

}  // namespace checker::channels
