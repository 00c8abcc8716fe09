#pragma once
// The supervisor's side of the LMDB state: it loads every job's record at
// start and writes finished runs in batches. A batch is one write
// transaction holding, for each finished run, the job's new state, its
// history (raw run, hourly aggregate, incident: state/run_history.h) and,
// when the policy says so, an outbox entry; plus the
// scheduler heartbeat and, at start and after a reload, the list of jobs
// checkerd runs (for `checker status`). Batching all runs that finish in one loop turn keeps
// one fsync per turn instead of one per run.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.h"
#include "ipc/state.capnp.h"
#include "state/job_list.h"
#include "state/notice_gate.h"
#include "state/policy.h"
#include "state/run_measurements.h"
#include "state/state_store.h"

namespace checker {

// What the supervisor keeps per job between runs. Written as ipc::JobState
// together with the last run's facts (start, outcome, message, duration),
// which come from the FinishedRun: memory holds no copy of them per job.
struct JobRecord {
  PolicyState policy;
  uint64_t runs = 0;
  uint64_t overruns = 0;
  // The last run's (for what is said of a failing job between its runs:
  // an Alertmanager re-send).
  ipc::Outcome lastOutcome = ipc::Outcome::OK;
  std::string lastMessage = {};
  int64_t lastStartedUnixMs = 0;  // 0: never ran
  GateRecord gate = {};           // what holds its notices (state/notice_gate.h)
};

// The facts of a notice for a channel other than mail (ipc ChannelNotice;
// the payload is made of them when it is sent: channels/).
struct ChannelNoticeFacts {
  std::string instance, jobId, jobName, jobType;
  std::string state;  // failing, recovered, test
  std::string outcome, message;
  int64_t sinceUnixMs = 0, atUnixMs = 0;
  uint32_t failures = 0;
  std::string pageUrl;
};

// One notice as an outbox entry. A mail (no facts; CHANNEL empty for the
// mail to alertcontact, else an email channel's name): to, subject, body.
// For another [channel NAME]: its name and the facts; `to` and `subject` are what
// `checker status` shows of it ("webhook hooks", the summary).
struct OutboxMail {
  ipc::MailKind kind = ipc::MailKind::ALERT;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  std::string channel = {};
  std::optional<ChannelNoticeFacts> facts = {};
};

// A peer check's answer, kept in the `peers` database for `checker status`.
struct PeerRecord {
  std::string name, url;
  ipc::PeerStatus status = ipc::PeerStatus::UNKNOWN;
  std::string message;
  int64_t sinceUnixMs = 0;  // when the peer began failing; 0 while it answers True
};

struct FinishedRun {
  std::string jobId, jobName, jobType;
  JobRecord record;  // after this run; with the fields below, the job's new ipc::JobState
  int64_t startedUnixMs = 0;
  uint32_t durationMs = 0;
  ipc::Outcome outcome = ipc::Outcome::OK;
  int signal = 0;
  std::string message;
  std::vector<OutboxMail> notices;  // one outbox entry each, in one transaction with the run
  std::optional<PeerRecord> peer;  // a peer check's answer
  RunMeasurements measured;        // the probe's latency and the job's named numbers
  std::string note = {};           // a notice due and held, and why (the run's history keeps it)
};

// Where one outbox entry stands (what the outbox delivery keeps in memory;
// the entry itself stays in LMDB until the server accepted it).
struct OutboxStatus {
  uint64_t id = 0;
  uint32_t attempts = 0;
  int64_t createdUnixMs = 0;
  int64_t nextAttemptUnixMs = 0;
  bool permanentFailure = false;
  std::string channel = {};  // "" : a mail to alertcontact; else the [channel NAME] it goes to
  bool mail = false;         // a mail (channel "" or an email channel's), not a channel notice
  bool test = false;         // a test notice (`checker test-channel`): one attempt only
  std::string jobId = {};    // the job or peer it is about
};

// A channel checkerd runs ("email" and each [channel NAME]) as the
// `channels` database names it (state/channel_health.h).
struct ChannelListing {
  std::string name, type;
  bool operator==(const ChannelListing&) const = default;
};

// RUN's job state as stored in the `jobs` database (an ipc::JobState): its
// record, with the run's start, outcome, message and duration as the last
// run's. Public for what writes job states as checkerd does without being
// checkerd (a state imported from elsewhere: start 0, no runs; tests).
std::string encodeState(const FinishedRun& run);

class StateWriter {
 public:
  explicit StateWriter(StateStore& store) : store_(store) {}

  // How much history each job keeps ([general] history_*); applied from the
  // next flush on (a lower limit trims at each job's next run).
  void setRetention(const HistoryRetention& retention) { retention_ = retention; }
  const HistoryRetention& retention() const { return retention_; }

  // Every job's record by id, plus the next outbox id flush() needs. Entries
  // that cannot be decoded are logged and skipped: the job starts afresh
  // rather than the supervisor stopping.
  std::unordered_map<std::string, JobRecord> load();

  void add(FinishedRun run) {
    noticeWaiting_ = noticeWaiting_ || !run.notices.empty();
    amends_.erase(run.jobId);  // the run's record is the newer
    batch_.push_back(std::move(run));
  }
  // Does the next flush hold a notice (someone waits for it to be sent)?
  bool noticeWaiting() const { return noticeWaiting_; }
  size_t pending() const { return batch_.size(); }

  // Writes the batch and the heartbeat in one transaction. On failure the
  // batch is kept for the next attempt and StateError is thrown.
  void flush(int64_t nowUnixMs);

  uint64_t outboxEntriesWritten() const { return outboxWritten_; }

  // ---- the outbox's side (supervisor/outbox_delivery.h) ----
  // Outbox entries to deliver: at first those load() found, then those each
  // flush committed; each is handed out once.
  std::vector<OutboxStatus> takeNewOutbox() { return std::exchange(newOutbox_, {}); }
  // The framed OutboxEntry ID as stored, for the mailer; nullopt when gone.
  std::optional<std::string> readOutboxEntry(uint64_t id);
  // Queued for the next flush, each with its channel's health (its last
  // success or last error, REPLY at AT_UNIX_MS; state/channel_health.h) in
  // the same transaction: the receiver accepted entry STATUS (it is
  // deleted); or it did not (its attempt count, next attempt and last error
  // are recorded, and a permanent refusal is kept, visible, not retried);
  // or a test notice had its one attempt (deleted, whatever the answer).
  void outboxDelivered(const OutboxStatus& status, std::string reply, int64_t atUnixMs);
  void outboxAttemptFailed(const OutboxStatus& status, std::string error, int64_t atUnixMs);
  void outboxTestAnswered(const OutboxStatus& status, bool accepted, std::string reply, int64_t atUnixMs);
  // Entry ID deleted unsent, nothing recorded (a test notice nobody waits for).
  void outboxRemoved(uint64_t id);
  // A notice of no run (`checker test-channel`), about JOB_ID: written at
  // the next flush and handed out by takeNewOutbox() like a run's. Its id.
  uint64_t queueNotice(std::string jobId, OutboxMail notice);
  // JOB_ID's record changed between runs (the notice gate held or released
  // it): its policy and gate fields are rewritten at the next flush, the
  // last run's facts kept as stored. A job with no stored state is skipped.
  // Whichever of a run and an amend came last is the record written.
  void amendRecord(std::string jobId, JobRecord record);
  // The channels checkerd runs, for the next flush (the `channels` rows):
  // at start and after each reload it applied.
  void setChannels(std::vector<ChannelListing> channels) { channels_ = std::move(channels); }
  // The email self-check's last result (the `email` database, for peering's
  // mail health), queued for the next flush.
  void recordSelfCheck(int64_t checkedUnixMs, bool ok, std::string message);
  // The last config reload's result (meta "reload", shown by `checker
  // status`), queued for the next flush.
  void recordReload(int64_t unixMs, bool ok, std::string message);
  // The jobs checkerd runs now (meta "job_list", state/job_list.h), queued
  // for the next flush: at start and after each reload it applied.
  void setJobList(std::vector<ListedJob> jobs) { jobList_ = std::move(jobs); }
  // One job's record as stored, for a job a reload adds (it may have run
  // before under the same identity); nullopt when none or unreadable.
  std::optional<JobRecord> readJobRecord(const std::string& jobId);
  // Only the heartbeat, for the next flush: checkerd is alive even when no
  // run finished (state_keys::kHeartbeatEveryMs).
  void beat() { beat_ = true; }
  bool hasWork() const {
    return beat_ || !batch_.empty() || !outboxChanges_.empty() || !notices_.empty() || !amends_.empty() ||
           selfCheck_.has_value() ||
           reload_.has_value() || jobList_.has_value() || channels_.has_value();
  }

 private:
  // Returns the outbox id written for the run, or 0.
  // The ids of the outbox entries it wrote (one per notice).
  std::vector<uint64_t> writeRun(WriteTransaction& txn, const FinishedRun& run, int64_t nowUnixMs);

  struct OutboxChange {
    OutboxStatus status;
    bool erase = false;      // else: the failed attempt is recorded in the entry
    bool answered = true;    // false: nothing to record of the channel
    bool accepted = false;
    std::string reply;
    int64_t atUnixMs = 0;
  };
  void applyOutboxChange(WriteTransaction& txn, const OutboxChange& change);
  struct QueuedNotice {
    uint64_t id;
    std::string jobId;
    OutboxMail notice;
  };
  void writeNotices(WriteTransaction& txn, int64_t nowUnixMs);
  void takeWrittenNotices(int64_t nowUnixMs);

  StateStore& store_;
  HistoryRetention retention_;
  std::vector<FinishedRun> batch_;
  std::vector<OutboxChange> outboxChanges_;
  std::vector<OutboxStatus> newOutbox_;
  struct SelfCheckRecord {
    int64_t checkedUnixMs;
    bool ok;
    std::string message;
  };
  std::optional<SelfCheckRecord> selfCheck_;
  std::optional<SelfCheckRecord> reload_;  // the same three facts
  std::optional<std::vector<ListedJob>> jobList_;
  std::optional<std::vector<ChannelListing>> channels_;
  std::vector<QueuedNotice> notices_;
  std::unordered_map<std::string, JobRecord> amends_;
  void writeAmends(WriteTransaction& txn);
  void writeSelfCheck(WriteTransaction& txn);
  uint64_t nextOutboxId_ = 1;
  uint64_t outboxWritten_ = 0;
  bool beat_ = false;
  bool noticeWaiting_ = false;
};

}  // namespace checker
