#pragma once
// `[channel NAME]` sections: where notices go besides (or instead of) the
// mail to [general] alertcontact, and `notify_to` in [general] and in job
// sections naming them (issue 18). Read here, checked against each other
// once every section is read (a job may name a channel defined below it).
//
//   [channel ops-mail]   type = email         to = a@example.org, b@example.org
//   [channel hooks]      type = webhook       url, secret (HMAC-SHA256 key), header.NAME = value
//   [channel chat]       type = slack         url (an incoming-webhook URL)
//   [channel phone]      type = ntfy          url (the server), topic, token, tags
//   [channel am]         type = alertmanager  url = BASE[, BASE] (a cluster: each one gets
//                                              every alert), resend, label.NAME = value,
//                                              header.NAME = value
// Each HTTP type also takes timeout (default 10s) and cafile; every type group_wait.
//
// The name `email` is built in: the mail to [general] alertcontact, which
// is where every notice goes unless notify_to says otherwise.
#include <string>
#include <utility>
#include <vector>

#include "config/config_section.h"
#include "config/config_values.h"

namespace checker {

inline constexpr const char* kBuiltInEmailChannel = "email";

// An Alertmanager channel's shortest re-send interval: each re-send of
// every failing job is a POST to every cluster member.
inline constexpr Milliseconds kMinAlertmanagerResend{5'000};

// The longest group_wait: a notice held longer is news too late.
inline constexpr Milliseconds kMaxGroupWait{10 * 60'000};

enum class ChannelType { email, webhook, slack, ntfy, alertmanager };
const char* channelTypeName(ChannelType type);

struct ChannelSettings {
  std::string name;
  ChannelType type = ChannelType::webhook;
  int line = 0;
  std::vector<std::string> to;  // email
  std::string url;              // webhook, slack, ntfy; alertmanager: the first of urls
  std::vector<std::string> urls;  // alertmanager: each member's POST /api/v2/alerts URL
  std::string secret;           // webhook: the HMAC key; never logged
  std::vector<std::pair<std::string, std::string>> headers;  // webhook, alertmanager: header.NAME
  std::vector<std::pair<std::string, std::string>> labels;   // alertmanager: label.NAME
  Milliseconds resendEvery{60'000};  // alertmanager: a failing job's alert is sent again this often
  // Notices made within this of the oldest waiting one go as one
  // (notice_group.h; for email, one mail); 0: one notice per job.
  Milliseconds groupWait{0};
  std::string topic, token;     // ntfy
  std::vector<std::string> tags;  // ntfy
  Milliseconds timeout{10'000};
  std::string caFile;           // empty: the system's trust store
  bool operator==(const ChannelSettings&) const = default;
};

// "webhook hooks": the channel as the outbox, `checker status` and the
// logs name it.
std::string channelLabel(const ChannelSettings& channel);

// Reads [channel NAME] (NAME already checked non-empty) into OUT.
ChannelSettings readChannel(SectionReader& r, const std::string& name);

// `notify_to = NAME, NAME`: the names, in order, without repeats; errors
// at the entry for an empty list or a repeated name.
std::vector<std::string> readNotifyTo(SectionReader& r, const IniEntry& entry);

}  // namespace checker
