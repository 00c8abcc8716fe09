#include "state/mail_health.h"

#include "state/state_keys.h"
#include "ipc/framing.h"

namespace checker {

std::optional<SelfCheckState> readLastSelfCheck(const StateReader& txn) {
  std::optional<std::string_view> value = txn.get(StateDb::email, state_keys::kSelfCheck);
  if (!value) return std::nullopt;
  try {
    auto decoded = ipc::decode(*value);
    auto state = decoded->root<ipc::EmailState>();
    return SelfCheckState{state.getLastCheckUnixMs(), state.getOk(), state.getMessage().cStr()};
  } catch (const ipc::FrameError& e) {
    return SelfCheckState{0, false, std::string("unreadable self-check state: ") + e.what()};
  }
}

MailHealth mailHealth(const std::optional<SelfCheckState>& lastSelfCheck, const std::vector<OutboxStatus>& outbox,
                      int64_t nowUnixMs) {
  if (lastSelfCheck && !lastSelfCheck->ok) {
    return {true, "the last email self-check failed: " + lastSelfCheck->message};
  }
  for (const OutboxStatus& entry : outbox) {
    // A webhook or chat receiver that is down says nothing of the mail path;
    // an email channel's mail does (it goes through the same server).
    if (entry.permanentFailure || !(entry.channel.empty() || entry.mail)) continue;
    int64_t waited = nowUnixMs - entry.createdUnixMs;
    if (entry.attempts > 0 && waited > kOutboxRetryWindowMs) {
      return {true, "outbox entry " + std::to_string(entry.id) + " undelivered for " + std::to_string(waited / 60'000) +
                        " min after " + std::to_string(entry.attempts) + " attempt(s)"};
    }
  }
  return {};
}

}  // namespace checker
