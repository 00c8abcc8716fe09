#include "peerd/state_source.h"

namespace checker::peerd {
namespace {

constexpr int64_t kDayMs = 86'400'000;

}  // namespace


void StateSource::read(const Config& config, const std::vector<LiveJob>* live, StatusSnapshot* snapshot) {
  try {
    if (!store_) store_.emplace(StateStore::openReadOnly(dir_));
    ReadTransaction txn = store_->beginRead();
    if (live == nullptr) {
      snapshot->jobs = readAllJobStatus(txn);
    } else {
      for (const LiveJob& job : *live) {
        if (std::optional<JobStatus> status = readJobStatus(txn, job.id)) {
          snapshot->jobs.push_back(std::move(*status));
        } else {
          snapshot->notRunYet.push_back(job.name);
        }
      }
    }
    for (const JobStatus& job : snapshot->jobs) {
      JobRecent& recent = snapshot->recent[job.id];
      recent.day = readUptime(txn, job.id, snapshot->nowUnixMs - kDayMs, snapshot->nowUnixMs + 1);
      for (const HistoryRun& run : readLatestRuns(txn, job.id, kRunsInTheBar)) {
        recent.runs.push_back({run.startedUnixMs, run.outcome, run.measured.latencyUs});
      }
    }
    snapshot->selfCheck = readLastSelfCheck(txn);
    snapshot->outbox = readOutbox(txn);
    snapshot->mail = mailHealth(snapshot->selfCheck, snapshot->outbox.entries, snapshot->nowUnixMs);
    snapshot->peers = readPeers(config, &txn);
  } catch (const StateError& e) {
    snapshot->stateError = e.what();
    snapshot->jobs.clear();
    snapshot->recent.clear();
    snapshot->notRunYet.clear();
    snapshot->selfCheck.reset();
    snapshot->mail = {};
    snapshot->outbox = {};
    snapshot->peers = readPeers(config, nullptr);
  }
}

Result<ReadTransaction> StateSource::beginRead() {
  try {
    if (!store_) store_.emplace(StateStore::openReadOnly(dir_));
    return store_->beginRead();
  } catch (const StateError& e) {
    return Error{e.what()};
  }
}

}  // namespace checker::peerd
