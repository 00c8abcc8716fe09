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
// Each HTTP type also takes timeout (default 10s) and cafile.
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

enum class ChannelType { email, webhook, slack, ntfy };
const char* channelTypeName(ChannelType type);

struct ChannelSettings {
  std::string name;
  ChannelType type = ChannelType::webhook;
  int line = 0;
  std::vector<std::string> to;  // email
  std::string url;              // webhook, slack, ntfy
  std::string secret;           // webhook: the HMAC key; never logged
  std::vector<std::pair<std::string, std::string>> headers;  // webhook: header.NAME
  std::string topic, token;     // ntfy
  std::vector<std::string> tags;  // ntfy
  Milliseconds timeout{10'000};
  std::string caFile;           // empty: the system's trust store
  bool operator==(const ChannelSettings&) const = default;
};

// Reads [channel NAME] (NAME already checked non-empty) into OUT.
ChannelSettings readChannel(SectionReader& r, const std::string& name);

// `notify_to = NAME, NAME`: the names, in order, without repeats; errors
// at the entry for an empty list or a repeated name.
std::vector<std::string> readNotifyTo(SectionReader& r, const IniEntry& entry);

}  // namespace checker
