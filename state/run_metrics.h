#pragma once
// Counters of finished runs that only the supervisor sees, for peerd's
// /metrics: runs per outcome and a histogram of run durations. The
// supervisor counts each run it classifies (recordOutcome: worker runs,
// peer checks, self-checks) and pushes the counters to peerd with every
// heartbeat (ipc/peerd.capnp RunMetrics, written and read here, so both
// halves of the wire are in one file).
//
// Durations go into buckets of upper bounds kDurationBoundsMs (5 ms to
// 5 min: a TCP connect on a LAN to an IMAP self-check), plus one bucket for
// longer runs. The bounds travel with the counts, so a peerd of another
// build (restarted after an upgrade, under the old checkerd) exports what
// it was sent rather than what it assumes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ipc/job.capnp.h"
#include "ipc/peerd.capnp.h"

namespace checker {

inline constexpr std::array<ipc::Outcome, 6> kOutcomes = {
    ipc::Outcome::OK,    ipc::Outcome::FAILED, ipc::Outcome::TIMED_OUT, ipc::Outcome::CRASHED,
    ipc::Outcome::LIMIT, ipc::Outcome::PROTOCOL_ERROR};

inline constexpr std::array<uint32_t, 15> kDurationBoundsMs = {
    5, 10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 30'000, 60'000, 120'000, 300'000};

struct RunMetrics {
  RunMetrics();
  // One finished run.
  void recordRun(ipc::Outcome outcome, uint32_t durationMs);
  uint64_t runs() const;  // all outcomes

  std::array<uint64_t, kOutcomes.size()> runsByOutcome{};  // in kOutcomes' order
  std::vector<uint32_t> durationBoundsMs;  // ascending
  std::vector<uint64_t> durationBuckets;   // one per bound, then one above the last; not cumulative
  uint64_t durationSumMs = 0;
};

// What HealthUpdate.metrics carries: the run counters and three counters
// the supervisor keeps in SupervisorStats.
struct SupervisorCounters {
  RunMetrics runs;
  uint64_t spawnFailures = 0;
  uint64_t overruns = 0;
  uint64_t runsLost = 0;  // lost with the worker launcher
};

void writeSupervisorCounters(const SupervisorCounters& counters, ipc::RunMetrics::Builder out);
// The counters, or an Error saying why the message does not hold together
// (bounds not ascending, or not one bucket more than bounds).
Result<SupervisorCounters> readSupervisorCounters(ipc::RunMetrics::Reader in);

}  // namespace checker
