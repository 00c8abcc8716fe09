#include "peerd/password_attempts.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace checker::peerd {

PasswordAttempts::PasswordAttempts(AttemptLimits limits)
    : limits_(limits), checks_(static_cast<double>(limits.checksBurst)) {}

std::string PasswordAttempts::clientKey(std::string_view client) {
  std::string text(client);
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;  // IPv4 text, or not an address
  char out[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    inet_ntop(AF_INET, &v6.s6_addr[12], out, sizeof out);
    return out;
  }
  std::memset(&v6.s6_addr[8], 0, 8);
  inet_ntop(AF_INET6, &v6, out, sizeof out);
  return std::string(out) + "/64";
}

int64_t PasswordAttempts::clientWaitMs(std::string_view client, int64_t nowMs) const {
  auto found = clients_.find(clientKey(client));
  if (found == clients_.end() || found->second.failures < limits_.perClient) return 0;
  return std::max<int64_t>(0, found->second.startMs + limits_.windowMs - nowMs);
}

void PasswordAttempts::refill(int64_t nowMs) {
  if (!started_) {
    started_ = true;
    refilledMs_ = nowMs;
    return;
  }
  if (nowMs <= refilledMs_) return;
  checks_ = std::min(static_cast<double>(limits_.checksBurst),
                     checks_ + static_cast<double>(nowMs - refilledMs_) / static_cast<double>(limits_.checkRefillMs));
  refilledMs_ = nowMs;
}

int64_t PasswordAttempts::checkWaitMs(int64_t nowMs) {
  refill(nowMs);
  if (checks_ >= 1) return 0;
  return static_cast<int64_t>((1 - checks_) * static_cast<double>(limits_.checkRefillMs)) + 1;
}

void PasswordAttempts::checked(int64_t nowMs) {
  refill(nowMs);
  checks_ = std::max(0.0, checks_ - 1);
}

void PasswordAttempts::makeRoom(int64_t nowMs) {
  std::erase_if(clients_, [&](const auto& entry) { return entry.second.startMs + limits_.windowMs <= nowMs; });
  if (clients_.size() < limits_.maxClients) return;
  auto oldest = std::min_element(clients_.begin(), clients_.end(),
                                 [](const auto& a, const auto& b) { return a.second.startMs < b.second.startMs; });
  clients_.erase(oldest);
}

int PasswordAttempts::failed(std::string_view client, int64_t nowMs) {
  std::string key = clientKey(client);
  auto found = clients_.find(key);
  if (found == clients_.end()) {
    if (clients_.size() >= limits_.maxClients) makeRoom(nowMs);
    found = clients_.emplace(std::move(key), Window{nowMs, 0}).first;
  } else if (found->second.startMs + limits_.windowMs <= nowMs) {
    found->second = Window{nowMs, 0};  // the last window is over: a new one starts
  }
  return ++found->second.failures;
}

}  // namespace checker::peerd
