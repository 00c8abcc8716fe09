#pragma once
// Is this instance's mail path healthy? What peers are told (`MailProblem`
// when not) and `checker status` shows. Pure: the last email self-check and
// the outbox come in.
//
// A problem when the last self-check failed, or when an alert has waited
// in the outbox (not delivered, whatever the reason) longer than the retry
// window: a server refusing for hours is as broken as one that is down.
// An entry refused for good is a problem of that one message (shown by
// status), not of the mail path.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "state/state_store.h"
#include "state/state_writer.h"

namespace checker {

inline constexpr int64_t kOutboxRetryWindowMs = 60 * 60'000;  // an hour of retries

struct SelfCheckState {
  int64_t lastCheckUnixMs = 0;
  bool ok = false;
  std::string message;
};

struct MailHealth {
  bool problem = false;
  std::string why;  // one line when problem
};

// The `email` database's last self-check; nullopt when none ran yet.
std::optional<SelfCheckState> readLastSelfCheck(const StateReader& txn);

MailHealth mailHealth(const std::optional<SelfCheckState>& lastSelfCheck, const std::vector<OutboxStatus>& outbox,
                      int64_t nowUnixMs);

}  // namespace checker
