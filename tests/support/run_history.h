#pragma once
// A job's recorded runs as a test reads them back from a state directory
// (the `history` database, ipc::RunRecord values), oldest first.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "state/state_keys.h"
#include "state/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"

namespace checker::test {

struct RecordedRun {
  int64_t startedUnixMs = 0;
  ipc::Outcome outcome = ipc::Outcome::OK;
};

inline std::vector<RecordedRun> recordedRuns(const std::string& stateDir, const std::string& jobId) {
  StateStore store = StateStore::openReadOnly(stateDir);
  ReadTransaction txn = store.beginRead();
  std::vector<RecordedRun> runs;
  txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(jobId), [&](std::string_view, std::string_view v) {
    std::unique_ptr<ipc::DecodedMessage> message = ipc::decode(v);
    auto run = message->root<ipc::RunRecord>();
    runs.push_back({run.getStartedUnixMs(), run.getOutcome()});
    return true;
  });
  std::sort(runs.begin(), runs.end(),
            [](const RecordedRun& a, const RecordedRun& b) { return a.startedUnixMs < b.startedUnixMs; });
  return runs;
}

}  // namespace checker::test
