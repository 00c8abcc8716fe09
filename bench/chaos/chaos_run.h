#pragma once
// The kill loop of checker-bench-chaos: when each kill comes (a seeded
// plan), one life of checkerd from its start to its kill and the read of
// the state after it, the final drain, and the tallies of all of it.
#include <chrono>
#include <cstddef>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench/chaos/state_ledger.h"

namespace checker::bench {

// When kills come. checkerd reaches "scheduling" some 10-20 ms after it is
// spawned and first resends what the outbox held. A notice is in the outbox
// while the mailer sends it (~150-300 ms through the slow link), then until
// the next batch commits its deletion (up to 50 ms), so two kinds of kill
// wait for a log line first: just after a notice was committed to the
// outbox (while the mailer sends it), and just after the mailer's answer
// (before the entry's deletion was committed).
struct KillBand {
  double share;
  const char* afterLine;  // wait (from 0.5-4 s on) for a log line with this, then kill within the range
  int fromMs, toMs;       // from the spawn, or from that line
  const char* what;
};
inline constexpr KillBand kKillBands[] = {
    {0.10, nullptr, 0, 30, "during the start"},
    {0.15, nullptr, 30, 500, "just after the start"},
    {0.20, "queued as outbox entry", 0, 300, "just after a notice was queued"},
    {0.10, " delivered: ", 0, 50, "just after a delivery was answered"},
    {0.45, nullptr, 500, 8000, "at any moment"},
};
inline constexpr int kWaitFromMs = 500, kWaitToMs = 4000;
inline constexpr std::chrono::seconds kLineTimeout{5};

struct KillPlan {
  const KillBand* band = nullptr;
  std::chrono::milliseconds at{0};     // from the spawn; for a band with a line: when to start waiting for it
  std::chrono::milliseconds after{0};  // for a band with a line: after it
};

KillPlan planKill(std::mt19937_64& rng);

struct Paths {
  std::string bin, dir, config, drainConfig, stateDir, log;
};

struct Totals {
  int kills = 0, earlyKills = 0, restarts = 0, starts = 0, startsVerified = 0, startsClean = 0;
  int snapshots = 0, snapshotsClean = 0;
  size_t survivors = 0;
  std::vector<int> checkerdPids;  // every checkerd started
  std::vector<double> readyMs, goneMs, snapshotMs;
  std::map<std::string, int> errorLines;  // error lines by text without time and pid
  std::vector<std::string> failures;  // each fails the run
};

// One life: start, check, kill as PLAN says, read the state.
void killCycle(const Paths& p, int number, int kills, const KillPlan& plan, StateLedger& ledger, Totals& t);
// The final life: only healthy jobs, until the outbox is empty; SIGTERM.
void drain(const Paths& p, int number, StateLedger& ledger, Totals& t, double* drainSeconds);
// Run cgroups (checker-runs-PID, worker_runs/run_cgroups.h) that a killed
// checkerd of PIDS left and no later start swept away.
size_t leftoverRunCgroups(const std::vector<int>& pids);

double secondsSince(std::chrono::steady_clock::time_point t);

}  // namespace checker::bench
