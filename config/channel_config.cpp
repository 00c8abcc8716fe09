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

// Alertmanager's API path, appended to a base URL (as Prometheus'
// alertmanager targets and path_prefix give it).
constexpr std::string_view kAlertmanagerApiPath = "/api/v2/alerts";

// url = BASE[, BASE]: one URL per cluster member, each checked, each the
// member's POST URL (BASE + /api/v2/alerts unless it ends so already).
void readAlertmanagerUrls(SectionReader& r, ChannelSettings& c) {
  const IniEntry* e = r.take("url");
  if (e == nullptr) {
    r.errorAtHeader("missing 'url' (the Alertmanager's base URL, or several for a cluster)");
    return;
  }
  bool bad = false;
  for (std::string base : splitList(e->value)) {
    Result<HttpUrl> url = parseHttpUrl(base);
    if (!url || url->target.find_first_of("?#") != std::string::npos) {
      r.error(*e, "'" + base + "': " + (url ? "an Alertmanager URL has no query or fragment" : url.error()));
      bad = true;
      continue;
    }
    std::string_view path = base;
    if (path.size() < kAlertmanagerApiPath.size() ||
        path.substr(path.size() - kAlertmanagerApiPath.size()) != kAlertmanagerApiPath) {
      while (!base.empty() && base.back() == '/') base.pop_back();
      base += kAlertmanagerApiPath;
    }
    if (std::find(c.urls.begin(), c.urls.end(), base) != c.urls.end()) r.error(*e, "'" + base + "' named twice");
    else c.urls.push_back(base);
  }
  if (c.urls.empty() && !bad) r.error(*e, "no URL");
  if (!c.urls.empty()) c.url = c.urls.front();
}

// header.NAME = value (webhook, alertmanager): sent with every POST.
void readHeaders(SectionReader& r, ChannelSettings& c) {
  for (const IniEntry& e : r.untaken()) {
    if (e.key.rfind("header.", 0) != 0) continue;
    std::string header = e.key.substr(7);
    const IniEntry* taken = r.take(e.key);
    if (!validHeaderName(header)) r.error(*taken, "not a header name: '" + header + "'");
    else if (taken->value.find_first_of("\r\n") != std::string::npos) r.error(*taken, "a header value on one line");
    else c.headers.emplace_back(header, std::string(trimView(taken->value)));
  }
}

// group_wait = DURATION, or 0 / off: no grouping.
void readGroupWait(SectionReader& r, ChannelSettings& c) {
  const IniEntry* e = r.take("group_wait");
  if (e == nullptr) return;
  std::string_view value = trimView(e->value);
  Result<Milliseconds> wait = value == "0" || value == "off" ? Result<Milliseconds>(Milliseconds(0)) : parseDuration(value);
  if (!wait) r.error(*e, wait.error() + " (or 0: no grouping)");
  else if (*wait > kMaxGroupWait) r.error(*e, "at most " + formatDuration(kMaxGroupWait));
  else c.groupWait = *wait;
}

// Prometheus' label name rule: [a-zA-Z_][a-zA-Z0-9_]*, and not "__..."
// (reserved for Prometheus' own use).
bool validLabelName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) || name.rfind("__", 0) == 0) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// label.NAME = value (alertmanager): added to every alert's labels.
void readLabels(SectionReader& r, ChannelSettings& c) {
  for (const IniEntry& e : r.untaken()) {
    if (e.key.rfind("label.", 0) != 0) continue;
    std::string label = e.key.substr(6);
    const IniEntry* taken = r.take(e.key);
    if (!validLabelName(label)) r.error(*taken, "not a label name: '" + label + "' ([a-zA-Z_][a-zA-Z0-9_]*)");
    else c.labels.emplace_back(label, std::string(trimView(taken->value)));
  }
}

}  // namespace

const char* channelTypeName(ChannelType type) {
  switch (type) {
    case ChannelType::email: return "email";
    case ChannelType::webhook: return "webhook";
    case ChannelType::slack: return "slack";
    case ChannelType::ntfy: return "ntfy";
    case ChannelType::alertmanager: return "alertmanager";
  }
  return "?";
}

std::string channelLabel(const ChannelSettings& channel) {
  return std::string(channelTypeName(channel.type)) + " " + channel.name;
}

ChannelSettings readChannel(SectionReader& r, const std::string& name) {
  ChannelSettings c;
  c.name = name;
  c.line = r.section().line;
  const IniEntry* type = r.take("type");
  std::string typeName = type ? std::string(trimView(type->value)) : "";
  if (type == nullptr) {
    r.errorAtHeader("missing 'type' (email, webhook, slack, ntfy or alertmanager)");
  } else if (typeName == "email") {
    c.type = ChannelType::email;
  } else if (typeName == "webhook") {
    c.type = ChannelType::webhook;
  } else if (typeName == "slack") {
    c.type = ChannelType::slack;
  } else if (typeName == "ntfy") {
    c.type = ChannelType::ntfy;
  } else if (typeName == "alertmanager") {
    c.type = ChannelType::alertmanager;
  } else {
    r.error(*type, "unknown channel type '" + typeName + "': expected email, webhook, slack, ntfy or alertmanager");
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
    if (c.type == ChannelType::alertmanager) readAlertmanagerUrls(r, c);
    else readUrl(r, c);
    r.duration("timeout", c.timeout);
    r.text("cafile", c.caFile);
  }
  known += ", group_wait";
  readGroupWait(r, c);
  if (c.type == ChannelType::webhook) {
    known += ", secret, header.NAME";
    r.text("secret", c.secret);
    readHeaders(r, c);
  }
  if (c.type == ChannelType::alertmanager) {
    known += ", resend, label.NAME, header.NAME";
    if (const IniEntry* e = r.take("resend")) {
      Result<Milliseconds> every = parseDuration(trimView(e->value));
      if (!every) r.error(*e, every.error());
      else if (*every < kMinAlertmanagerResend) r.error(*e, "at least " + formatDuration(kMinAlertmanagerResend));
      else c.resendEvery = *every;
    }
    readLabels(r, c);
    readHeaders(r, c);
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
