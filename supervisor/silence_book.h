#pragma once
// What quiets a job's notices: the [maintenance NAME] windows of the
// config and the silences of `checker silence` (state/silences.h). The
// notice gate (supervisor/alerting) asks quietOf before sending a notice
// and sets a timer from nextChangeAfter; this class holds no timer itself.
//
// The book owns the silences in memory, loaded from the state at start. It
// answers the control requests `silence`, `silences` and `unsilence`; a
// silence is added or removed in a write transaction of its own, committed
// before the answer, so a silence the operator was told about survives a
// kill -9 that comes right after. Expired silences are dropped from memory
// as they are met and from the state in the next write (and at start).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/job_definition.h"
#include "ipc/control.capnp.h"
#include "state/silences.h"
#include "state/state_store.h"
#include "supervisor/control_server.h"
#include "supervisor/run_clock.h"

namespace checker {

// The bounds of a silence request (docs/cli.md, `checker silence`).
inline constexpr int64_t kMinSilenceMs = 60'000;                  // 1 minute
inline constexpr int64_t kMaxSilenceMs = 90LL * 24 * 3'600'000;   // 90 days
inline constexpr size_t kMaxActiveSilences = 1'000;

class SilenceBook {
 public:
  // What quiets a job now: "maintenance NAME until 2026-12-11 01:30
  // Europe/Berlin" or "silence 7 until 2026-12-08 04:00 UTC: REASON", and
  // when that ends.
  struct Quiet {
    std::string reason;
    int64_t untilUnixMs = 0;
  };

  // CONFIG is read at each call, so a reload's new windows apply at once.
  SilenceBook(Clock& clock, const Config& config, StateStore& store);

  // Reads the active silences from the state and purges expired ones.
  // Throws StateError.
  void load();

  // What quiets JOB at NOW (a maintenance window of the config or an active
  // silence), the one that ends last; nullopt: nothing.
  std::optional<Quiet> quietOf(const JobDefinition& job, int64_t nowUnixMs) const;
  // When the answer of quietOf may next change for any job (a window starts
  // or ends, a silence ends), strictly after NOW; INT64_MAX: never.
  int64_t nextChangeAfter(int64_t nowUnixMs) const;
  // Called after a silence was added or removed by a request (not when one
  // expires: nextChangeAfter covers that).
  void setOnChange(std::function<void()> onChange) { onChange_ = std::move(onChange); }

  // The control requests, answered at once. UID: the asking process's user
  // (SO_PEERCRED), -1 when unknown.
  ControlAnswer onSilenceRequest(ipc::SilenceRequest::Reader request, int64_t uid);
  ControlAnswer onSilencesRequest();
  ControlAnswer onUnsilenceRequest(uint64_t id);

  // The silences active at NOW, by id.
  std::vector<Silence> activeSilences(int64_t nowUnixMs) const;

 private:
  void dropExpired(int64_t nowUnixMs);

  Clock& clock_;
  const Config& config_;
  StateStore& store_;
  std::vector<Silence> silences_;  // by id; may hold expired ones until dropped
  std::function<void()> onChange_;
};

// "silence 7: web until 2026-12-08 04:00 UTC (deploy)": what `checker
// silence` prints.
std::string describeSilence(const Silence& s);

}  // namespace checker
