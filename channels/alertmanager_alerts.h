#pragma once
// The `alertmanager` channel's body for Alertmanager's API v2
// (POST /api/v2/alerts, a JSON array of postableAlert): one alert per
// notice, identified by its labels, so Alertmanager deduplicates the
// re-sends of a failing job and groups, routes and silences them.
#include <cstdint>
#include <map>
#include <string>

#include "channels/notice.h"

namespace checker::channels {

// The alert's name for a failing job; a test notice is its own alert
// (kAlertmanagerTestAlertName) so it neither merges with nor resolves a
// real alert of the same job, while its other labels route it the same way.
inline constexpr const char* kAlertmanagerAlertName = "CheckerJobFailing";
inline constexpr const char* kAlertmanagerTestAlertName = "CheckerTestNotice";

// How many re-send intervals a failing job's alert stays active without
// a re-send (Prometheus uses the same factor of its resend delay).
inline constexpr int64_t kAlertmanagerResendsToLive = 4;

// [{"labels": {"alertname", "job": job name, "job_id", "instance",
// "severity": "critical" (a test notice "info"), then EXTRALABELS},
// "annotations": {"summary": one line, "description": the message},
// "startsAt": since (or at when not failing), "endsAt", "generatorURL": the
// job's page (only when FACTS has a page URL)}].
//
// EXTRALABELS (the channel's configured labels) cannot override the fixed
// ones: a fixed label wins, since alertname, job, job_id and instance are
// what identifies the alert and changing them would split or merge alerts.
//
// endsAt: while failing, at + kAlertmanagerResendsToLive * RESENDEVERYMS,
// so the alert stays active only as long as checker keeps re-sending it
// every RESENDEVERYMS, and resolves itself if checker (or its path to
// Alertmanager) dies rather than firing forever; on recovery, at, which
// resolves it now.
std::string alertmanagerBody(const NoticeFacts& facts, const std::map<std::string, std::string>& extraLabels,
                             int64_t resendEveryMs);

}  // namespace checker::channels
