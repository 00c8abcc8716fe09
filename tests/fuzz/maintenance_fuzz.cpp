// [maintenance NAME] sections are hostile input as the rest of the config
// is: any bytes must give either windows or errors naming FILE:LINE, never
// a crash, and a window that was accepted must make sense.
//
// Input: the text after a minimal valid [general]/[email] and a
// "[maintenance fuzz]" header, so most inputs reach the maintenance keys.
// Invariants:
//   - every error and warning starts with "PATH:";
//   - an accepted one-off window has start < end; a weekly one has a day,
//     from in 0..1439, to in 1..1440 and from != to, and a selector;
//   - the time functions agree at a few instants: the next change is after
//     the instant, the activity flips there, an active window ends after
//     the instant, an inactive one "ends" at it.
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/maintenance.h"

namespace {

constexpr const char* kPath = "/fuzz/settings.cfg";
constexpr const char* kPrefix =
    "[general]\nservername = s\nalertcontact = a@example.org\n[email]\nnomail = yes\n[maintenance fuzz]\n";

void require(bool condition) {
  if (!condition) std::abort();
}

void checkTimes(const checker::MaintenanceWindow& w, int64_t at) {
  bool active = checker::maintenanceActive(w, at);
  int64_t ends = checker::maintenanceEndsAt(w, at);
  require(active ? ends > at : ends == at);
  int64_t next = checker::maintenanceNextChange(w, at);
  require(next > at);
  if (next != INT64_MAX) require(checker::maintenanceActive(w, next - 1) != checker::maintenanceActive(w, next));
}

void checkWindow(const checker::MaintenanceWindow& w) {
  require(w.selector.all || !w.selector.jobGlobs.empty() || !w.selector.tags.empty());
  if (!w.weekly) {
    require(w.startUnixMs < w.endUnixMs);
    for (int64_t at : {w.startUnixMs - 1, w.startUnixMs, w.endUnixMs - 1, w.endUnixMs}) checkTimes(w, at);
    require(checker::maintenanceActive(w, w.startUnixMs) && !checker::maintenanceActive(w, w.endUnixMs));
    return;
  }
  require(w.days != 0 && w.days < 0x80);
  require(w.fromMinute >= 0 && w.fromMinute < 1440 && w.toMinute > 0 && w.toMinute <= 1440);
  require(w.fromMinute != w.toMinute);
  // Around the 2026 daylight saving changes in Europe and North America.
  for (int64_t at : {int64_t{1774746000000}, int64_t{1792890000000}, int64_t{1772953200000}, int64_t{1793512800000}}) {
    checkTimes(w, at);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = kPrefix;
  text.append(reinterpret_cast<const char*>(data), size);
  checker::ConfigLoad load = checker::parseConfigText(text, kPath);
  for (const std::string& e : load.errors) require(e.rfind(std::string(kPath) + ":", 0) == 0);
  for (const std::string& w : load.warnings) require(w.rfind(std::string(kPath) + ":", 0) == 0);
  if (!load.ok()) return 0;
  for (const checker::MaintenanceWindow& w : load.config.maintenance) checkWindow(w);
  return 0;
}
