#include "config/channel_config.h"

#include <algorithm>
#include <cctype>

#include "config/http_url.h"

namespace checker {
namespace {

bool validHeaderName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

void readUrl(SectionReader& r, ChannelSettings& c) {
  const IniEntry* e = r.take("url");
  if (e == nullptr) {
    r.errorAtHeader("missing 'url'");
    return;
  }
  Result<HttpUrl> url = parseHttpUrl(trimView(e->value));
  if (!url) r.error(*e, url.error());
  else c.url = std::string(trimView(e->value));
}

}  // namespace

const char* channelTypeName(ChannelType type) {
  switch (type) {
    case ChannelType::email: return "email";
    case ChannelType::webhook: return "webhook";
    case ChannelType::slack: return "slack";
    case ChannelType::ntfy: return "ntfy";
  }
  return "?";
}

ChannelSettings readChannel(SectionReader& r, const std::string& name) {
  ChannelSettings c;
  c.name = name;
  c.line = r.section().line;
  const IniEntry* type = r.take("type");
  std::string typeName = type ? std::string(trimView(type->value)) : "";
  if (type == nullptr) {
    r.errorAtHeader("missing 'type' (email, webhook, slack or ntfy)");
  } else if (typeName == "email") {
    c.type = ChannelType::email;
  } else if (typeName == "webhook") {
    c.type = ChannelType::webhook;
  } else if (typeName == "slack") {
    c.type = ChannelType::slack;
  } else if (typeName == "ntfy") {
    c.type = ChannelType::ntfy;
  } else if (typeName == "alertmanager") {
    r.error(*type, "type alertmanager is not available yet: use webhook, slack, ntfy or email");
  } else {
    r.error(*type, "unknown channel type '" + typeName + "': expected email, webhook, slack or ntfy");
  }
  std::string known = "type";
  if (c.type == ChannelType::email) {
    known += ", to";
    if (const IniEntry* e = r.take("to")) {
      c.to = splitList(e->value);
      if (c.to.empty()) r.error(*e, "no address");
      for (const std::string& address : c.to) {
        if (!looksLikeEmailAddress(address)) r.error(*e, "'" + address + "' is not an e-mail address");
      }
    } else {
      r.errorAtHeader("missing 'to' (the addresses)");
    }
  } else {
    known += ", url, timeout, cafile";
    readUrl(r, c);
    r.duration("timeout", c.timeout);
    r.text("cafile", c.caFile);
  }
  if (c.type == ChannelType::webhook) {
    known += ", secret, header.NAME";
    r.text("secret", c.secret);
    for (const IniEntry& e : r.untaken()) {
      if (e.key.rfind("header.", 0) != 0) continue;
      std::string header = e.key.substr(7);
      const IniEntry* taken = r.take(e.key);
      if (!validHeaderName(header)) r.error(*taken, "not a header name: '" + header + "'");
      else if (taken->value.find_first_of("\r\n") != std::string::npos) r.error(*taken, "a header value on one line");
      else c.headers.emplace_back(header, std::string(trimView(taken->value)));
    }
  }
  if (c.type == ChannelType::ntfy) {
    known += ", topic, token, tags";
    r.text("topic", c.topic);
    if (c.topic.empty()) r.errorAtHeader("missing 'topic'");
    r.text("token", c.token);
    if (const IniEntry* e = r.take("tags")) c.tags = splitList(e->value);
  }
  r.rejectUntaken(known);
  return c;
}

std::vector<std::string> readNotifyTo(SectionReader& r, const IniEntry& entry) {
  std::vector<std::string> names;
  for (const std::string& name : splitList(entry.value)) {
    if (std::find(names.begin(), names.end(), name) != names.end()) r.error(entry, "'" + name + "' named twice");
    else names.push_back(name);
  }
  if (names.empty()) r.error(entry, "no channel named (the built-in one is 'email')");
  return names;
}

}  // namespace checker
