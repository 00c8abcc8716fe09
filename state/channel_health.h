#pragma once
// Each alert channel's health, for `checker status` and peerd's page: when
// its receiver last accepted a notice, what was said when one was last not
// accepted, and what waits in the outbox for it (pending, the oldest,
// refused for good).
//
// The `channels` database (ipc ChannelHealth) holds one row per channel
// checkerd runs: "email" (the built-in mail to alertcontact) and each
// [channel NAME]. checkerd writes the rows at start and after each reload
// it applied (type and place; rows of channels no longer configured are
// deleted, so a removed channel does not linger), and the last success or
// error in the transaction that applies a delivery result. Pending and
// refused come from the outbox entries themselves.
//
// The database is optional at every schema version (state/state_store.h):
// a checkerd that predates it never opens it and loses nothing, so adding
// it bumps nothing. A row holds a channel's name and type, never its URL,
// token, secret or headers (a Slack URL's path is its secret); the texts
// are the mailer's serverReply, which names the channel and host only.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "state/state_store.h"
#include "state/state_writer.h"

namespace checker {

// ChannelListing (a channel checkerd runs) is in state/state_writer.h.

// CONFIG's channels: "email" first, then each [channel NAME] in file order.
std::vector<ChannelListing> configuredChannels(const Config& config);

// The channel an outbox entry's `channel` field names ("" : "email").
std::string channelOfEntry(std::string_view field);

// In checkerd's batch transaction: the rows become CHANNELS (each keeps
// its last success and error; any other row is deleted).
void writeChannelList(WriteTransaction& txn, const std::vector<ChannelListing>& channels);
// CHANNEL's receiver accepted an entry at AT_UNIX_MS (or did not), saying
// REPLY. A channel without a row (no longer configured) gets none.
void recordChannelResult(WriteTransaction& txn, const std::string& channel, bool accepted, int64_t atUnixMs,
                         const std::string& reply);

struct ChannelRow {
  std::string name, type;
  int64_t lastSuccessUnixMs = 0;  // 0: never (as far as the state knows)
  std::string lastSuccessReply;
  int64_t lastErrorUnixMs = 0;    // 0: none
  std::string lastError;
  size_t pending = 0;             // entries still to deliver
  int64_t oldestPendingUnixMs = 0;  // 0 when none
  size_t refused = 0;             // entries refused for good, kept in the outbox
};

// The channels checkerd runs (their rows in TXN), in config order, each
// with its entries in OUTBOX counted. Before checkerd wrote any row (a
// checkerd older than the database, or none has run), CONFIG's channels
// with the outbox's counts only; TXN null (no state): CONFIG's, empty.
std::vector<ChannelRow> readChannels(const Config& config, const StateReader* txn,
                                     const std::vector<OutboxStatus>& outbox);

}  // namespace checker
