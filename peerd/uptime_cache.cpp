#include "peerd/uptime_cache.h"

#include <functional>
#include <unordered_set>

namespace checker::peerd {

std::vector<Uptime> readUptimeWindows(const StateReader& txn, const std::string& jobId, int64_t nowUnixMs) {
  std::vector<int64_t> sinces;
  for (int64_t window : kUptimeWindowsMs) sinces.push_back(nowUnixMs - window);
  return readUptimes(txn, jobId, sinces, nowUnixMs + 1);
}

const std::vector<Uptime>& UptimeCache::windows(const StateReader& txn, const std::string& jobId, int64_t nowUnixMs) {
  Entry& entry = entries_[jobId];
  int64_t keep = keepMs_ + static_cast<int64_t>(std::hash<std::string>{}(jobId) % static_cast<size_t>(keepMs_ + 1));
  bool fresh = !entry.windows.empty() && entry.readUnixMs <= nowUnixMs && nowUnixMs - entry.readUnixMs < keep;
  if (!fresh) {
    entry.windows = readUptimeWindows(txn, jobId, nowUnixMs);
    entry.readUnixMs = nowUnixMs;
    ++reads_;
  }
  return entry.windows;
}

void UptimeCache::keepOnly(const std::vector<LiveJob>& jobs) {
  std::vector<std::string> ids;
  for (const LiveJob& job : jobs) ids.push_back(job.id);
  keepOnly(ids);
}

void UptimeCache::keepOnly(const std::vector<std::string>& ids) {
  std::unordered_set<std::string> kept(ids.begin(), ids.end());
  std::erase_if(entries_, [&](const auto& entry) { return !kept.count(entry.first); });
}

}  // namespace checker::peerd
