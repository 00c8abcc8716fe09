#include "channels/alertmanager_alerts.h"

#include <algorithm>

#include "channels/payload_objects.h"

namespace checker::channels {
namespace {

PayloadJson labels(const NoticeFacts& facts, const std::map<std::string, std::string>& extraLabels) {
  bool test = facts.state == NoticeState::test;
  PayloadJson out = {
      {"alertname", test ? kAlertmanagerTestAlertName : kAlertmanagerAlertName},
      {"job", facts.jobName},
      {"job_id", facts.jobId},
      {"instance", facts.instance},
      {"severity", test ? "info" : "critical"},
  };
  for (const auto& [name, value] : extraLabels) {
    if (!out.contains(name)) out[name] = value;  // the fixed labels win
  }
  return out;
}

std::string summary(const NoticeFacts& facts) {
  std::string prefix = "[" + facts.instance + "] ";
  switch (facts.state) {
    case NoticeState::failing:
      return prefix + "job " + facts.jobName + " is failing (" + facts.outcome + ")";
    case NoticeState::recovered:
      return prefix + "job " + facts.jobName + " recovered";
    case NoticeState::test:
      return prefix + "test notice for job " + facts.jobName;
  }
  return prefix + facts.jobName;
}

}  // namespace

PayloadJson alertmanagerAlert(const NoticeFacts& facts, const std::map<std::string, std::string>& extraLabels,
                              int64_t resendEveryMs) {
  int64_t startsAt = facts.sinceUnixMs != 0 ? facts.sinceUnixMs : facts.atUnixMs;
  int64_t endsAt = facts.state == NoticeState::recovered
                       ? facts.atUnixMs
                       : facts.atUnixMs + kAlertmanagerResendsToLive * std::max<int64_t>(resendEveryMs, 0);
  // Alertmanager refuses an alert that ends before it starts (a clock
  // stepped back since the job began failing).
  endsAt = std::max(endsAt, startsAt);
  PayloadJson alert = {
      {"labels", labels(facts, extraLabels)},
      {"annotations", {{"summary", summary(facts)}, {"description", facts.message}}},
      {"startsAt", utcTimestamp(startsAt)},
      {"endsAt", utcTimestamp(endsAt)},
  };
  // Omitted rather than "": the API declares generatorURL a URI.
  if (std::string page = jobPageLink(facts); !page.empty()) alert["generatorURL"] = page;
  return alert;
}

std::string alertmanagerBody(const NoticeFacts& facts, const std::map<std::string, std::string>& extraLabels,
                             int64_t resendEveryMs) {
  return payloadText(PayloadJson::array({alertmanagerAlert(facts, extraLabels, resendEveryMs)}));
}

}  // namespace checker::channels
