#include "peerd/state_source.h"

#include "peerd/status_page.h"

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
    std::vector<bool> listed = listedOnPage(snapshot->jobs);
    std::vector<std::string> listedIds;
    for (size_t i = 0; i < snapshot->jobs.size(); ++i) {
      const JobStatus& job = snapshot->jobs[i];
      JobRecent& recent = snapshot->recent[job.id];
      // Every job's uptime (/metrics has a series per job); the bar's runs
      // only for the jobs the page lists.
      recent.day = readUptime(txn, job.id, snapshot->nowUnixMs - kDayMs, snapshot->nowUnixMs + 1);
      if (!listed[i]) continue;
      listedIds.push_back(job.id);
      const std::vector<Uptime>& windows = longUptimes_.windows(txn, job.id, snapshot->nowUnixMs);
      recent.week = windows[1];
      recent.month = windows[2];
      for (const HistoryRun& run : readLatestRuns(txn, job.id, kRunsInTheBar)) {
        recent.runs.push_back({run.startedUnixMs, run.outcome, run.measured.latencyUs});
      }
    }
    longUptimes_.keepOnly(listedIds);
    snapshot->selfCheck = readLastSelfCheck(txn);
    snapshot->outbox = readOutbox(txn);
    snapshot->mail = mailHealth(snapshot->selfCheck, snapshot->outbox.entries, snapshot->nowUnixMs);
    snapshot->channels = readChannels(config, &txn, snapshot->outbox.entries);
    snapshot->peers = readPeers(config, &txn);
  } catch (const StateError& e) {
    snapshot->stateError = e.what();
    snapshot->jobs.clear();
    snapshot->recent.clear();
    snapshot->notRunYet.clear();
    snapshot->selfCheck.reset();
    snapshot->mail = {};
    snapshot->outbox = {};
    snapshot->channels = readChannels(config, nullptr, {});
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
