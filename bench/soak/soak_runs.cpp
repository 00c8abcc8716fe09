#include "bench/soak/soak_runs.h"

#include "state/state_keys.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/run_outcome.h"

namespace checker::bench {
namespace {

constexpr size_t kMaxExamples = 20;

}  // namespace

RunVerifier::RunVerifier(const std::string& stateDir) : store_(StateStore::openReadOnly(stateDir)) {}

void RunVerifier::poll() {
  ReadTransaction txn = store_.beginRead();
  struct Update {
    std::string id, name;
    uint64_t runs;
  };
  std::vector<Update> updates;
  txn.forEach(StateDb::jobs, [&](std::string_view key, std::string_view value) {
    auto state = ipc::decode(value);
    ipc::JobState::Reader s = state->root<ipc::JobState>();
    updates.push_back({std::string(key), s.getName(), s.getRuns()});
    return true;
  });
  for (const Update& u : updates) {
    auto [it, fresh] = jobs_.try_emplace(u.id);
    JobSeen& job = it->second;
    if (fresh) {
      job.kind = kindOfJob(u.name);
      idOfSection_[u.name.substr(0, u.name.find('['))] = u.id;
    }
    if (u.runs == job.runs) continue;
    job.runs = u.runs;
    txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(u.id), [&](std::string_view, std::string_view value) {
      auto decoded = ipc::decode(value);
      ipc::RunRecord::Reader r = decoded->root<ipc::RunRecord>();
      if (r.getStartedUnixMs() <= job.lastStartedMs) return true;
      job.lastStartedMs = r.getStartedUnixMs();
      ++job.seen;
      check(u.name, job, r.getStartedUnixMs(), r.getOutcome(), r.getMessage());
      return true;
    });
  }
}

void RunVerifier::check(const std::string& name, const JobSeen& job, int64_t startedMs, ipc::Outcome outcome,
                        const std::string& message) {
  if (job.kind == nullptr) {
    ++foreign_;
    return;
  }
  const SoakKind& kind = *job.kind;
  ++(kind.hostile ? hostile_ : healthy_);
  KindTally& tally = byKind_[kind.name];
  ++tally.runs;
  ++tally.outcomes[outcome];
  bool right = outcome == kind.expected && message.find(kind.detail) != std::string::npos;
  if (right) return;
  ++tally.misclassified;
  ++misclassified_;
  if (examples_.size() < kMaxExamples) {
    examples_.push_back("job " + name + " (run started " + std::to_string(startedMs) + "): expected " +
                        outcomeName(kind.expected) + (kind.detail.empty() ? "" : " with '" + kind.detail + "'") +
                        ", recorded " + outcomeName(outcome) + ": " + message);
  }
}

uint64_t RunVerifier::unverified() const {
  uint64_t missing = 0;
  for (const auto& [id, job] : jobs_) missing += job.runs - job.seen;
  return missing;
}

uint64_t RunVerifier::runsOfSection(const std::string& section) const {
  auto id = idOfSection_.find(section);
  if (id == idOfSection_.end()) return 0;
  return jobs_.at(id->second).runs;
}

}  // namespace checker::bench
