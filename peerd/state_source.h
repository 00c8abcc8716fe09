#pragma once
// peerd's read-only view of the LMDB state (state/state_store.h), for the
// status page and /metrics. The environment is opened on first use and kept
// (LMDB allows one per path per process; a failed open is tried again at
// the next request, e.g. before checkerd's first start has created it).
// Each read is one read transaction: a consistent snapshot that never
// blocks checkerd's writes. peerd never writes the state.
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "state/state_store.h"
#include "peerd/status_snapshot.h"
#include "peerd/uptime_cache.h"

namespace checker::peerd {

// The overview's bar shows this many of each job's newest runs.
inline constexpr size_t kRunsInTheBar = 30;

class StateSource {
 public:
  explicit StateSource(std::string stateDir) : dir_(std::move(stateDir)) {}

  // Fills SNAPSHOT's jobs, self-check, mail health, outbox, channels (as
  // checkerd wrote them, else as CONFIG lists them) and peers (as CONFIG
  // lists them). LIVE: the jobs checkerd runs now, in its order;
  // nullptr before checkerd said (every stored job, in key order). Each
  // job's uptime over 24 h is read; its newest runs (the bar) and its
  // uptime over 7 and 30 days (kept a minute or two: uptime_cache.h) only
  // for the jobs the page lists (listedOnPage, peerd/status_page.h), so a
  // state of many jobs costs those of at most kMaxHealthyRows healthy ones. On a
  // failure SNAPSHOT->stateError says why and the rest stays empty.
  void read(const Config& config, const std::vector<LiveJob>* live, StatusSnapshot* snapshot);

  // A read transaction (a consistent snapshot) for the JSON API and the job
  // pages; an Error saying why when the state cannot be opened.
  Result<ReadTransaction> beginRead();

 private:
  std::string dir_;
  std::optional<StateStore> store_;
  UptimeCache longUptimes_;  // the listed jobs' 7 and 30 days
};

}  // namespace checker::peerd
