#pragma once
// A job's recent runs as a bar of small blocks, oldest on the left, one
// colour per outcome; hovering one shows its time, outcome and latency (a
// title attribute: no script, and the block's accessible name). Fewer runs
// than slots leave the left end empty (the bar is right-aligned, its width
// that of SLOTS blocks), so bars of different jobs line up. Pure.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ipc/job.capnp.h"

namespace checker::peerd {

struct BarRun {
  int64_t startedUnixMs = 0;
  ipc::Outcome outcome = ipc::Outcome::OK;
  int64_t latencyUs = -1;  // -1: none measured
};

// The newest SLOTS of RUNS (oldest first) as the bar's HTML.
std::string renderRunBar(const std::vector<BarRun>& runs, size_t slots);

}  // namespace checker::peerd
