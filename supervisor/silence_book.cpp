#include "supervisor/silence_book.h"

#include <algorithm>
#include <climits>

#include "common/json_text.h"
#include "common/log.h"
#include "common/utf8_text.h"
#include "config/job_selector.h"
#include "config/maintenance.h"

namespace checker {
namespace {

const char* kindName(ipc::SilenceKind kind) {
  switch (kind) {
    case ipc::SilenceKind::JOB: return "job";
    case ipc::SilenceKind::TAG: return "tag";
    case ipc::SilenceKind::ALL: return "all";
  }
  return "?";
}

std::string durationText(int64_t ms) {
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 1000) + "s";
}

// Why REQUEST cannot be a silence; "" when it can.
std::string refusal(ipc::SilenceRequest::Reader request) {
  int64_t duration = request.getDurationMs();
  if (duration < kMinSilenceMs || duration > kMaxSilenceMs) {
    return "a silence lasts from 1m to 90d, not " + (duration > 0 ? durationText(duration) : std::to_string(duration) + " ms");
  }
  std::string_view reason(request.getReason().cStr(), request.getReason().size());
  if (reason.size() > kMaxSilenceReasonBytes) {
    return "the reason is " + std::to_string(reason.size()) + " bytes; at most " +
           std::to_string(kMaxSilenceReasonBytes);
  }
  if (trimView(reason).empty()) return "a silence needs a reason (--reason TEXT)";
  std::string_view value(request.getValue().cStr(), request.getValue().size());
  switch (request.getKind()) {
    case ipc::SilenceKind::JOB:
      if (trimView(value).empty()) return "no job named";
      if (value.size() > kMaxSilenceValueBytes) {
        return "a job name or glob is at most " + std::to_string(kMaxSilenceValueBytes) + " bytes";
      }
      if (cleanLine(value) != value) return "a job name is one line of UTF-8 text";
      return "";
    case ipc::SilenceKind::TAG:
      return isTagName(value) ? "" : "'" + cleanLine(value, 80) + "' is not a tag name (letters, digits, _ . -)";
    case ipc::SilenceKind::ALL:
      return value.empty() ? "" : "--all takes no job or tag";
  }
  return "unknown selector kind";
}

}  // namespace

std::string describeSilence(const Silence& s) {
  return "silence " + std::to_string(s.id) + ": " + describeSelector(s) + " until " +
         formatLocalMinute(s.endsUnixMs, "UTC") + " (" + s.reason + ")";
}

SilenceBook::SilenceBook(Clock& clock, const Config& config, StateStore& store)
    : clock_(clock), config_(config), store_(store) {}

void SilenceBook::load() {
  int64_t now = clock_.wallMs();
  WriteTransaction txn = store_.beginWrite();
  size_t purged = purgeExpiredSilences(txn, now);
  silences_ = readSilences(txn, now);
  txn.commit();
  if (!silences_.empty() || purged > 0) {
    CHECKER_LOG_INFO("silences: %zu active, %zu expired and removed", silences_.size(), purged);
  }
}

void SilenceBook::dropExpired(int64_t nowUnixMs) {
  std::erase_if(silences_, [&](const Silence& s) { return s.endsUnixMs <= nowUnixMs; });
}

std::vector<Silence> SilenceBook::activeSilences(int64_t nowUnixMs) const {
  std::vector<Silence> out;
  for (const Silence& s : silences_) {
    if (s.endsUnixMs > nowUnixMs) out.push_back(s);
  }
  return out;
}

std::optional<SilenceBook::Quiet> SilenceBook::quietOf(const JobDefinition& job, int64_t nowUnixMs) const {
  std::optional<Quiet> quiet;
  std::string name;  // built once, and only when something could select the job
  auto consider = [&](int64_t until, auto reason) {
    if (!quiet || until > quiet->untilUnixMs) quiet = Quiet{reason(), until};
  };
  for (const MaintenanceWindow& w : config_.maintenance) {
    if (!maintenanceActive(w, nowUnixMs)) continue;
    if (name.empty()) name = job.name();
    if (!selectsJob(w.selector, name, job.section(), job.tags())) continue;
    int64_t until = maintenanceEndsAt(w, nowUnixMs);
    consider(until, [&] { return "maintenance " + w.name + " until " + formatLocalMinute(until, w.timeZone); });
  }
  for (const Silence& s : silences_) {
    if (s.endsUnixMs <= nowUnixMs) continue;
    if (name.empty()) name = job.name();
    if (!selectsJob(selectorOf(s), name, job.section(), job.tags())) continue;
    consider(s.endsUnixMs, [&] {
      return "silence " + std::to_string(s.id) + " until " + formatLocalMinute(s.endsUnixMs, "UTC") + ": " + s.reason;
    });
  }
  return quiet;
}

int64_t SilenceBook::nextChangeAfter(int64_t nowUnixMs) const {
  int64_t next = INT64_MAX;
  for (const MaintenanceWindow& w : config_.maintenance) next = std::min(next, maintenanceNextChange(w, nowUnixMs));
  for (const Silence& s : silences_) {
    if (s.endsUnixMs > nowUnixMs) next = std::min(next, s.endsUnixMs);
  }
  return next;
}

ControlAnswer SilenceBook::onSilenceRequest(ipc::SilenceRequest::Reader request, int64_t uid) {
  if (std::string why = refusal(request); !why.empty()) return {false, why};
  int64_t now = clock_.wallMs();
  dropExpired(now);
  if (silences_.size() >= kMaxActiveSilences) {
    return {false, "already " + std::to_string(silences_.size()) + " silences active, the most there may be; " +
                       "remove some (checker unsilence ID)"};
  }
  Silence s;
  s.kind = request.getKind();
  s.value = request.getValue().cStr();
  s.reason = std::string(trimView(request.getReason().cStr()));
  s.createdUnixMs = now;
  s.endsUnixMs = now + request.getDurationMs();
  s.uid = uid;
  try {
    WriteTransaction txn = store_.beginWrite();
    purgeExpiredSilences(txn, now);
    s = addSilence(txn, std::move(s));
    txn.commit();  // durable before the answer: a kill -9 now keeps it
  } catch (const StateError& e) {
    CHECKER_LOG_ERROR("silence not stored: %s", e.what());
    return {false, std::string("the silence could not be stored: ") + e.what()};
  }
  silences_.push_back(s);
  CHECKER_LOG_INFO("%s, uid %lld", describeSilence(s).c_str(), static_cast<long long>(uid));
  if (onChange_) onChange_();
  return {true, describeSilence(s)};
}

ControlAnswer SilenceBook::onSilencesRequest() {
  int64_t now = clock_.wallMs();
  dropExpired(now);
  Json list = Json::array();
  for (const Silence& s : silences_) {
    list.push_back(Json{{"id", s.id},
                        {"kind", kindName(s.kind)},
                        {"value", s.value},
                        {"selector", describeSelector(s)},
                        {"reason", s.reason},
                        {"created_unix_ms", s.createdUnixMs},
                        {"ends_unix_ms", s.endsUnixMs},
                        {"uid", s.uid >= 0 ? Json(s.uid) : Json(nullptr)}});
  }
  return {true, jsonText(Json{{"now_unix_ms", now}, {"silences", std::move(list)}})};
}

ControlAnswer SilenceBook::onUnsilenceRequest(uint64_t id) {
  int64_t now = clock_.wallMs();
  dropExpired(now);
  auto it = std::find_if(silences_.begin(), silences_.end(), [&](const Silence& s) { return s.id == id; });
  if (it == silences_.end()) return {false, "no active silence " + std::to_string(id) + " (checker silences lists them)"};
  try {
    WriteTransaction txn = store_.beginWrite();
    purgeExpiredSilences(txn, now);
    removeSilence(txn, id);
    txn.commit();
  } catch (const StateError& e) {
    CHECKER_LOG_ERROR("silence %llu not removed: %s", static_cast<unsigned long long>(id), e.what());
    return {false, std::string("the silence could not be removed: ") + e.what()};
  }
  std::string said = "removed " + describeSilence(*it);
  silences_.erase(it);
  CHECKER_LOG_INFO("%s", said.c_str());
  if (onChange_) onChange_();
  return {true, said};
}

}  // namespace checker
