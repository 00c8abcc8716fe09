#include "supervisor/mail_health.h"

namespace checker {

MailHealth mailHealth(const std::optional<SelfCheckState>& lastSelfCheck, const std::vector<OutboxStatus>& outbox,
                      int64_t nowUnixMs) {
  if (lastSelfCheck && !lastSelfCheck->ok) {
    return {true, "the last email self-check failed: " + lastSelfCheck->message};
  }
  for (const OutboxStatus& entry : outbox) {
    if (entry.permanentFailure) continue;
    int64_t waited = nowUnixMs - entry.createdUnixMs;
    if (entry.attempts > 0 && waited > kOutboxRetryWindowMs) {
      return {true, "outbox entry " + std::to_string(entry.id) + " undelivered for " + std::to_string(waited / 60'000) +
                        " min after " + std::to_string(entry.attempts) + " attempt(s)"};
    }
  }
  return {};
}

}  // namespace checker
