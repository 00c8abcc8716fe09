#pragma once
// Incidents: a job's failing episodes as the notification policy saw them.
// One opens when the policy's health turns failing (its episode start,
// PolicyState::firstFailureUnixMs, is the incident's start and key) and
// closes when the policy says the job recovered (recover_after successes),
// not on single outcomes: a success inside an episode does not close it, a
// failure inside it does not open another. Pure: the caller reads the open
// incident, applies a run, and writes what comes back (state/run_history.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "state/policy.h"

namespace checker {

struct Incident {
  int64_t startUnixMs = 0;        // the episode's first failure (the policy's)
  int64_t endUnixMs = 0;          // when the recovering run finished; 0 while open
  std::string firstMessage;       // the first failing run's message
  std::string lastMessage;        // the latest failing run's message
  uint32_t notices = 0;           // notices sent in it: failure, reminders, recovery
  uint32_t failures = 0;          // failing runs in it
  int64_t lastFailureUnixMs = 0;  // the latest failing run's start
  bool open() const { return endUnixMs == 0; }
  // end - start; 0 while open. Times come from a file a reader does not
  // control: a difference that would overflow, or a negative one, is 0.
  int64_t durationMs() const { return open() ? 0 : difference(endUnixMs, startUnixMs); }
  // How long it lasted, or has lasted at NOW while open.
  int64_t lastedMs(int64_t nowUnixMs) const { return open() ? difference(nowUnixMs, startUnixMs) : durationMs(); }
  bool operator==(const Incident&) const = default;

 private:
  static int64_t difference(int64_t later, int64_t earlier) {
    int64_t d = 0;
    return __builtin_sub_overflow(later, earlier, &d) || d < 0 ? 0 : d;
  }
};

// What one finished run tells the incident logic.
struct IncidentRun {
  int64_t startedUnixMs = 0;
  uint32_t durationMs = 0;
  bool failed = false;            // any outcome other than ok
  std::string_view message;
  bool noticeSent = false;        // the policy queued a notice with this run
  PolicyState after;              // the policy's state after this run
};

// What to write after a run: the incident it closed (if any) and the one
// open after it (if any). Both are set when the policy's episode start
// changed without a recovery in between (an imported state): the old one is
// closed at this run's start.
struct IncidentUpdate {
  std::optional<Incident> closed;
  std::optional<Incident> open;
};
IncidentUpdate advanceIncident(std::optional<Incident> open, const IncidentRun& run);

// As stored in the `incidents` database (ipc::Incident). decode throws
// ipc::FrameError on a malformed value.
std::string encodeIncident(const Incident& incident);
Incident decodeIncident(std::string_view value);

}  // namespace checker
