#include "state/channel_health.h"

#include <capnp/message.h>

#include <algorithm>
#include <set>

#include "common/utf8_text.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"

namespace checker {
namespace {

// A row as stored, or a fresh one when absent or unreadable (replaced).
void readRow(const StateReader& txn, const std::string& name, capnp::MallocMessageBuilder& out) {
  if (std::optional<std::string_view> stored = txn.get(StateDb::channels, name)) {
    try {
      out.setRoot(ipc::decode(*stored)->root<ipc::ChannelHealth>());
      return;
    } catch (const ipc::FrameError&) {
      // rewritten below from what is known now
    }
  }
  out.initRoot<ipc::ChannelHealth>();
}

ChannelRow rowOf(const ChannelListing& listed) {
  ChannelRow row;
  row.name = listed.name;
  row.type = listed.type;
  return row;
}

// The stored rows in config order; empty when checkerd wrote none.
std::vector<ChannelRow> storedRows(const StateReader& txn) {
  std::vector<std::pair<uint32_t, ChannelRow>> rows;
  txn.forEach(StateDb::channels, [&](std::string_view key, std::string_view value) {
    ChannelRow row;
    row.name = cleanLine(key);
    uint32_t position = UINT32_MAX;
    try {
      auto decoded = ipc::decode(value);
      auto health = decoded->root<ipc::ChannelHealth>();
      row.type = cleanLine(health.getType().cStr());
      position = health.getPosition();
      row.lastSuccessUnixMs = health.getLastSuccessUnixMs();
      row.lastSuccessReply = cleanLine(health.getLastSuccessReply().cStr());
      row.lastErrorUnixMs = health.getLastErrorUnixMs();
      row.lastError = cleanLine(health.getLastError().cStr());
    } catch (const ipc::FrameError& e) {
      row.type = "?";
      row.lastError = "unreadable channel state: ";
      row.lastError.append(e.what());  // not operator+: GCC 12 warns falsely (-Wrestrict) on it here
    }
    rows.emplace_back(position, std::move(row));
    return true;
  });
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ChannelRow> out;
  for (auto& [position, row] : rows) out.push_back(std::move(row));
  return out;
}

void countEntries(std::vector<ChannelRow>& rows, const std::vector<OutboxStatus>& outbox) {
  for (const OutboxStatus& entry : outbox) {
    std::string name = channelOfEntry(entry.channel);
    auto row = std::find_if(rows.begin(), rows.end(), [&](const ChannelRow& r) { return r.name == name; });
    if (row == rows.end()) continue;  // a channel removed since: the outbox lines show it
    if (entry.permanentFailure) {
      ++row->refused;
      continue;
    }
    ++row->pending;
    if (row->oldestPendingUnixMs == 0 || entry.createdUnixMs < row->oldestPendingUnixMs) {
      row->oldestPendingUnixMs = entry.createdUnixMs;
    }
  }
}

}  // namespace

std::vector<ChannelListing> configuredChannels(const Config& config) {
  std::vector<ChannelListing> channels{{kBuiltInEmailChannel, "email"}};
  for (const ChannelSettings& channel : config.channels) {
    channels.push_back({channel.name, channelTypeName(channel.type)});
  }
  return channels;
}

std::string channelOfEntry(std::string_view field) {
  return field.empty() ? std::string(kBuiltInEmailChannel) : std::string(field);
}

void writeChannelList(WriteTransaction& txn, const std::vector<ChannelListing>& channels) {
  std::set<std::string> keep;
  for (const ChannelListing& channel : channels) keep.insert(channel.name);
  std::vector<std::string> gone;
  txn.forEach(StateDb::channels, [&](std::string_view key, std::string_view) {
    if (!keep.contains(std::string(key))) gone.emplace_back(key);
    return true;
  });
  for (const std::string& name : gone) txn.erase(StateDb::channels, name);
  for (uint32_t i = 0; i < channels.size(); ++i) {
    capnp::MallocMessageBuilder message;
    readRow(txn, channels[i].name, message);
    auto row = message.getRoot<ipc::ChannelHealth>();
    row.setType(channels[i].type);
    row.setPosition(i);
    txn.put(StateDb::channels, channels[i].name, ipc::encode(message));
  }
}

void recordChannelResult(WriteTransaction& txn, const std::string& channel, bool accepted, int64_t atUnixMs,
                         const std::string& reply) {
  if (!txn.get(StateDb::channels, channel)) return;  // not a channel checkerd runs now
  capnp::MallocMessageBuilder message;
  readRow(txn, channel, message);
  auto row = message.getRoot<ipc::ChannelHealth>();
  if (accepted) {
    row.setLastSuccessUnixMs(atUnixMs);
    row.setLastSuccessReply(reply);
  } else {
    row.setLastErrorUnixMs(atUnixMs);
    row.setLastError(reply);
  }
  txn.put(StateDb::channels, channel, ipc::encode(message));
}

std::vector<ChannelRow> readChannels(const Config& config, const StateReader* txn,
                                     const std::vector<OutboxStatus>& outbox) {
  std::vector<ChannelRow> rows;
  if (txn != nullptr) rows = storedRows(*txn);
  if (rows.empty()) {
    for (const ChannelListing& listed : configuredChannels(config)) rows.push_back(rowOf(listed));
  }
  countEntries(rows, outbox);
  return rows;
}

}  // namespace checker
