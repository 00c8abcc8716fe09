#include "bench/chaos/state_ledger.h"

#include <cstdlib>
#include <stdexcept>

#include "state/state_keys.h"
#include "state/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "state/state_view.h"

namespace checker::bench {
namespace {

std::string printable(std::string_view key) {
  std::string out;
  for (char c : key) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out;
}

// Decodes VALUE as T (every field checked against the schema), or throws
// saying which database and key did not decode.
template <typename T, typename Fn>
void decodeAs(const char* db, std::string_view key, std::string_view value, Fn&& use) {
  try {
    auto decoded = ipc::decode(value);
    use(decoded->template root<T>());
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(db) + " " + printable(key) + ": does not decode: " + e.what());
  }
}

}  // namespace

SnapshotFacts StateLedger::snapshot(const std::string& stateDir) {
  SnapshotFacts facts;
  StateStore store = StateStore::openReadOnly(stateDir);
  ReadTransaction txn = store.beginRead();

  txn.forEach(StateDb::meta, [&](std::string_view key, std::string_view value) {
    if (key == state_keys::kHeartbeat) {
      decodeAs<ipc::Heartbeat>("meta", key, value, [&](auto hb) { facts.heartbeatUnixMs = hb.getUnixMs(); });
    } else if (key == state_keys::kReload) {
      decodeAs<ipc::ReloadState>("meta", key, value, [](auto) {});
    } else if (key == state_keys::kJobList) {
      decodeAs<ipc::RunningJobs>("meta", key, value, [](auto) {});
    } else if (key != state_keys::kSchemaVersion) {
      throw std::runtime_error("meta: unknown key " + printable(key));
    }
    return true;
  });

  // The jobs as `checker status` reads them.
  for (const JobStatus& job : readAllJobStatus(txn)) {
    if (job.unreadable) throw std::runtime_error("jobs " + job.id + ": unreadable: " + job.message);
    LedgerJob& entry = jobs_[job.id];
    entry.id = job.id;
    entry.name = job.name;
    if (job.runs < entry.runs) {
      throw std::runtime_error("jobs " + job.id + ": runs went back from " + std::to_string(entry.runs) + " to " +
                               std::to_string(job.runs));
    }
    entry.runs = job.runs;
    ++facts.jobs;
  }

  txn.forEach(StateDb::history, [&](std::string_view key, std::string_view value) {
    size_t nul = key.find('\0');
    if (nul == std::string_view::npos || key.size() != nul + 17) {
      throw std::runtime_error("history: malformed key " + printable(key));
    }
    std::string jobId(key.substr(0, nul));
    int64_t startKey = static_cast<int64_t>(std::strtoull(std::string(key.substr(nul + 1)).c_str(), nullptr, 16));
    decodeAs<ipc::RunRecord>("history", key, value, [&](ipc::RunRecord::Reader run) {
      if (run.getStartedUnixMs() != startKey) throw std::runtime_error("the key's start differs from the record's");
      LedgerJob& job = jobs_[jobId];
      if (job.id.empty()) throw std::runtime_error("a run of a job with no state");
      bool added = job.history.emplace(startKey, LedgerRun{run.getDurationMs(), run.getOutcome() == ipc::Outcome::OK}).second;
      facts.newRuns += added ? 1 : 0;
    });
    return true;
  });

  OutboxSummary summary = readOutbox(txn);
  facts.outboxPending = summary.pending;
  txn.forEach(StateDb::outbox, [&](std::string_view key, std::string_view value) {
    decodeAs<ipc::OutboxEntry>("outbox", key, value, [&](ipc::OutboxEntry::Reader e) {
      if (state_keys::outboxKey(e.getId()) != key) throw std::runtime_error("the key is not the entry's id");
      if (e.getKind() != ipc::MailKind::ALERT && e.getKind() != ipc::MailKind::RECOVERY) return;
      SeenNotice n;
      n.recovery = e.getKind() == ipc::MailKind::RECOVERY;
      n.jobId = e.getJobId().cStr();
      n.subject = e.getSubject().cStr();
      n.body = e.getBody().cStr();
      for (auto to : e.getTo()) n.to.emplace_back(to.cStr());
      n.attempts = e.getAttempts();
      n.permanentFailure = e.getPermanentFailure();
      ++facts.noticesInOutbox;
      auto [it, added] = seen_.insert(n);
      if (!added && (n.attempts > it->attempts || n.permanentFailure)) {
        seen_.erase(it);
        seen_.insert(n);
      }
    });
    return true;
  });

  txn.forEach(StateDb::email, [&](std::string_view key, std::string_view value) {
    decodeAs<ipc::EmailState>("email", key, value, [](auto) {});
    return true;
  });
  txn.forEach(StateDb::peers, [&](std::string_view key, std::string_view value) {
    decodeAs<ipc::PeerState>("peers", key, value, [](auto) {});
    return true;
  });
  ++snapshots_;
  return facts;
}

}  // namespace checker::bench
