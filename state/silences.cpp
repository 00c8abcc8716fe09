#include "state/silences.h"

#include <capnp/message.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/utf8_text.h"
#include "ipc/framing.h"
#include "state/state_keys.h"

namespace checker {
namespace {

constexpr std::string_view kRowPrefix = "silence:";
constexpr std::string_view kNextIdKey = "next_id";

std::string rowKey(uint64_t id) { return std::string(kRowPrefix) + state_keys::hex16(id); }

std::optional<Silence> decodeRow(std::string_view value) {
  try {
    auto decoded = ipc::decode(value);
    auto row = decoded->root<ipc::Silence>();
    Silence s;
    s.id = row.getId();
    s.kind = row.getKind();
    s.value = cleanLine(row.getValue().cStr(), kMaxSilenceValueBytes);
    s.reason = cleanLine(row.getReason().cStr(), kMaxSilenceReasonBytes);
    s.createdUnixMs = row.getCreatedUnixMs();
    s.endsUnixMs = row.getEndsUnixMs();
    s.uid = row.getUid();
    return s;
  } catch (const ipc::FrameError&) {
    return std::nullopt;
  }
}

uint64_t storedNextId(const StateReader& txn) {
  uint64_t next = 1;
  if (std::optional<std::string_view> text = txn.get(StateDb::silences, kNextIdKey)) {
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec == std::errc() && end == text->data() + text->size() && value > 0) next = value;
  }
  // Past every row too, should the counter have been lost.
  txn.forEachWithPrefixBackward(StateDb::silences, kRowPrefix, [&](std::string_view key, std::string_view) {
    next = std::max(next, static_cast<uint64_t>(state_keys::keyTimeMs(key)) + 1);
    return false;  // the last key holds the highest id
  });
  return next;
}

}  // namespace

JobSelector selectorOf(const Silence& s) {
  switch (s.kind) {
    case ipc::SilenceKind::JOB: return JobSelector{false, {s.value}, {}};
    case ipc::SilenceKind::TAG: return JobSelector{false, {}, {s.value}};
    case ipc::SilenceKind::ALL: return JobSelector{true, {}, {}};
  }
  return JobSelector{};  // an unknown kind (a newer writer) selects nothing
}

std::string describeSelector(const Silence& s) {
  switch (s.kind) {
    case ipc::SilenceKind::JOB: return s.value;
    case ipc::SilenceKind::TAG: return "tag " + s.value;
    case ipc::SilenceKind::ALL: return "all jobs";
  }
  return "?";
}

Silence addSilence(WriteTransaction& txn, Silence s) {
  s.id = storedNextId(txn);
  s.value = cleanLine(s.value, kMaxSilenceValueBytes);
  s.reason = cleanLine(s.reason, kMaxSilenceReasonBytes);
  capnp::MallocMessageBuilder message;
  auto row = message.initRoot<ipc::Silence>();
  row.setId(s.id);
  row.setKind(s.kind);
  row.setValue(s.value);
  row.setReason(s.reason);
  row.setCreatedUnixMs(s.createdUnixMs);
  row.setEndsUnixMs(s.endsUnixMs);
  row.setUid(s.uid);
  txn.put(StateDb::silences, rowKey(s.id), ipc::encode(message));
  txn.put(StateDb::silences, kNextIdKey, std::to_string(s.id + 1));
  return s;
}

bool removeSilence(WriteTransaction& txn, uint64_t id) { return txn.erase(StateDb::silences, rowKey(id)); }

std::vector<Silence> readSilences(const StateReader& txn, int64_t nowUnixMs) {
  std::vector<Silence> out;
  txn.forEachWithPrefix(StateDb::silences, kRowPrefix, [&](std::string_view, std::string_view value) {
    std::optional<Silence> s = decodeRow(value);
    if (s && s->endsUnixMs > nowUnixMs) out.push_back(std::move(*s));
    return true;
  });
  return out;
}

size_t purgeExpiredSilences(WriteTransaction& txn, int64_t nowUnixMs) {
  std::vector<std::string> gone;
  txn.forEachWithPrefix(StateDb::silences, kRowPrefix, [&](std::string_view key, std::string_view value) {
    std::optional<Silence> s = decodeRow(value);
    if (!s || s->endsUnixMs <= nowUnixMs) gone.emplace_back(key);
    return true;
  });
  for (const std::string& key : gone) txn.erase(StateDb::silences, key);
  return gone.size();
}

}  // namespace checker
