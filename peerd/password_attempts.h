#pragma once
// How often the status page's password may be guessed (peerd/page_guard.h).
// Two limits:
//   - per client: after `perClient` wrong passwords within `windowMs`, the
//     client is refused until that window ends. A client is an IPv4
//     address or an IPv6 /64 (what one host usually holds), so changing
//     addresses within one's own prefix buys nothing. At most `maxClients`
//     are remembered; when full, the one whose window started first goes.
//   - for everyone: a password check costs one PBKDF2 (about 60 ms), so at
//     most `checksBurst` at once and one more per `checkRefillMs`: many
//     clients guessing at once cannot take peerd's loop from the peers.
// Times are the caller's monotonic milliseconds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace checker::peerd {

struct AttemptLimits {
  int perClient = 5;
  int64_t windowMs = 60'000;
  size_t maxClients = 4096;
  int checksBurst = 10;
  int64_t checkRefillMs = 1'000;
};

class PasswordAttempts {
 public:
  explicit PasswordAttempts(AttemptLimits limits = {});

  // How long CLIENT (its address as text) must wait before it may try
  // again; 0 when it may try now.
  int64_t clientWaitMs(std::string_view client, int64_t nowMs) const;
  // How long anyone must wait for a password check; 0 when one may run now.
  int64_t checkWaitMs(int64_t nowMs);
  void checked(int64_t nowMs);  // a check ran: it spends from the budget
  // CLIENT gave a wrong password. Its failures in the current window.
  int failed(std::string_view client, int64_t nowMs);

  size_t clientsRemembered() const { return clients_.size(); }
  const AttemptLimits& limits() const { return limits_; }
  // The key CLIENT's failures are counted under: the IPv4 address, or the
  // first 64 bits of an IPv6 one ("2001:db8:1:2::/64"); the text itself
  // when it is neither.
  static std::string clientKey(std::string_view client);

 private:
  struct Window {
    int64_t startMs = 0;
    int failures = 0;
  };
  void refill(int64_t nowMs);
  void makeRoom(int64_t nowMs);

  AttemptLimits limits_;
  std::unordered_map<std::string, Window> clients_;
  double checks_;  // what the budget holds now, up to checksBurst
  int64_t refilledMs_ = 0;
  bool started_ = false;
};

}  // namespace checker::peerd
