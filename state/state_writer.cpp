#include "state/state_writer.h"

#include <capnp/message.h>
#include <unistd.h>

#include <cstdlib>

#include "common/log.h"
#include "state/channel_health.h"
#include "state/run_history.h"
#include "state/state_keys.h"
#include "ipc/framing.h"

namespace checker {
namespace {

ipc::Health toWire(JobHealth h) {
  switch (h) {
    case JobHealth::neverRun: return ipc::Health::NEVER_RUN;
    case JobHealth::ok: return ipc::Health::OK;
    case JobHealth::failing: return ipc::Health::FAILING;
  }
  return ipc::Health::NEVER_RUN;
}

ipc::NoticeHold toWire(NoticeHold h) {
  switch (h) {
    case NoticeHold::none: return ipc::NoticeHold::NONE;
    case NoticeHold::quiet: return ipc::NoticeHold::QUIET;
    case NoticeHold::blocked: return ipc::NoticeHold::BLOCKED;
    case NoticeHold::flapping: return ipc::NoticeHold::FLAPPING;
    case NoticeHold::confirming: return ipc::NoticeHold::CONFIRMING;
    case NoticeHold::unconfirmed: return ipc::NoticeHold::UNCONFIRMED;
  }
  return ipc::NoticeHold::NONE;
}

NoticeHold fromWire(ipc::NoticeHold h) {
  switch (h) {
    case ipc::NoticeHold::QUIET: return NoticeHold::quiet;
    case ipc::NoticeHold::BLOCKED: return NoticeHold::blocked;
    case ipc::NoticeHold::FLAPPING: return NoticeHold::flapping;
    case ipc::NoticeHold::CONFIRMING: return NoticeHold::confirming;
    case ipc::NoticeHold::UNCONFIRMED: return NoticeHold::unconfirmed;
    default: return NoticeHold::none;
  }
}

JobHealth fromWire(ipc::Health h) {
  switch (h) {
    case ipc::Health::OK: return JobHealth::ok;
    case ipc::Health::FAILING: return JobHealth::failing;
    default: return JobHealth::neverRun;
  }
}

JobRecord readRecord(ipc::JobState::Reader s) {
  JobRecord r;
  r.policy.health = fromWire(s.getHealth());
  r.policy.consecutiveFailures = s.getConsecutiveFailures();
  r.policy.consecutiveSuccesses = s.getConsecutiveSuccesses();
  r.policy.firstFailureUnixMs = s.getFirstFailureUnixMs();
  r.policy.lastNotifyUnixMs = s.getLastNotifyUnixMs();
  r.policy.notifiedFailure = s.getNotifiedFailure();
  r.runs = s.getRuns();
  r.overruns = s.getOverruns();
  r.lastOutcome = s.getLastOutcome();
  r.lastMessage = s.getLastMessage();
  r.lastStartedUnixMs = s.getLastRunUnixMs();
  r.gate.hold = fromWire(s.getNoticeHold());
  r.gate.holdReason = s.getHoldReason();
  r.gate.holdSinceUnixMs = s.getHoldSinceUnixMs();
  r.gate.recent.failedBits = s.getRecentFailedBits();
  r.gate.recent.count = s.getRecentRuns() > kFlapWindowRuns ? kFlapWindowRuns : s.getRecentRuns();
  r.gate.flapping = s.getFlapping();
  r.gate.flapNoticeSent = s.getFlapNoticeSent();
  return r;
}

// The fields of R that change between runs (policy and gate) into S.
void writeRecordFields(ipc::JobState::Builder s, const JobRecord& r) {
  s.setHealth(toWire(r.policy.health));
  s.setConsecutiveFailures(r.policy.consecutiveFailures);
  s.setConsecutiveSuccesses(r.policy.consecutiveSuccesses);
  s.setFirstFailureUnixMs(r.policy.firstFailureUnixMs);
  s.setLastNotifyUnixMs(r.policy.lastNotifyUnixMs);
  s.setNotifiedFailure(r.policy.notifiedFailure);
  s.setRuns(r.runs);
  s.setOverruns(r.overruns);
  s.setNoticeHold(toWire(r.gate.hold));
  s.setHoldReason(r.gate.holdReason);
  s.setHoldSinceUnixMs(r.gate.holdSinceUnixMs);
  s.setRecentFailedBits(r.gate.recent.failedBits);
  s.setRecentRuns(r.gate.recent.count);
  s.setFlapping(r.gate.flapping);
  s.setFlapNoticeSent(r.gate.flapNoticeSent);
}

}  // namespace

// Declared in the header: job states are written outside checkerd too.
std::string encodeState(const FinishedRun& run) {
  capnp::MallocMessageBuilder message;
  auto s = message.initRoot<ipc::JobState>();
  const JobRecord& r = run.record;
  s.setId(run.jobId);
  s.setName(run.jobName);
  s.setType(run.jobType);
  writeRecordFields(s, r);
  s.setLastRunUnixMs(run.startedUnixMs);
  s.setLastOutcome(run.outcome);
  s.setLastMessage(run.message);
  s.setLastDurationMs(run.durationMs);
  s.setLastLatencyUs(run.measured.latencyUs);
  return ipc::encode(message);
}

namespace {

std::string encodeJobList(const std::vector<ListedJob>& jobs) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<ipc::RunningJobs>().initJobs(static_cast<unsigned>(jobs.size()));
  for (unsigned i = 0; i < jobs.size(); ++i) {
    list[i].setId(jobs[i].id);
    list[i].setName(jobs[i].name);
    list[i].setType(jobs[i].type);
    list[i].setSection(jobs[i].section);
    list[i].setSchedule(jobs[i].schedule);
    list[i].setSystem(jobs[i].system);
    list[i].setTimeoutMs(jobs[i].timeoutMs);
    list[i].setNotify(jobs[i].notify);
    list[i].setIsolation(jobs[i].isolation);
  }
  return ipc::encode(message);
}

std::string encodeOutbox(uint64_t id, const std::string& jobId, const OutboxMail& mail, int64_t now) {
  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<ipc::OutboxEntry>();
  e.setId(id);
  e.setCreatedUnixMs(now);
  e.setKind(mail.kind);
  e.setJobId(jobId);
  auto to = e.initTo(static_cast<unsigned>(mail.to.size()));
  for (unsigned i = 0; i < mail.to.size(); ++i) to.set(i, mail.to[i]);
  e.setSubject(mail.subject);
  e.setBody(mail.body);
  e.setNextAttemptUnixMs(now);
  e.setChannel(mail.channel);
  if (mail.facts) {
    const ChannelNoticeFacts& f = *mail.facts;
    auto n = e.initNotice();
    n.setInstance(f.instance);
    n.setJobId(f.jobId);
    n.setJobName(f.jobName);
    n.setJobType(f.jobType);
    n.setState(f.state);
    n.setOutcome(f.outcome);
    n.setMessage(f.message);
    n.setSinceUnixMs(f.sinceUnixMs);
    n.setAtUnixMs(f.atUnixMs);
    n.setFailures(f.failures);
    n.setPageUrl(f.pageUrl);
  }
  return ipc::encode(message);
}

std::string encodePeer(const PeerRecord& peer, int64_t queriedUnixMs) {
  capnp::MallocMessageBuilder message;
  auto p = message.initRoot<ipc::PeerState>();
  p.setName(peer.name);
  p.setUrl(peer.url);
  p.setStatus(peer.status);
  p.setMessage(peer.message);
  p.setLastQueryUnixMs(queriedUnixMs);
  p.setSinceUnixMs(peer.sinceUnixMs);
  return ipc::encode(message);
}

std::string encodeHeartbeat(int64_t now) {
  capnp::MallocMessageBuilder message;
  auto hb = message.initRoot<ipc::Heartbeat>();
  hb.setUnixMs(now);
  hb.setPid(static_cast<uint32_t>(::getpid()));
  return ipc::encode(message);
}

}  // namespace

std::unordered_map<std::string, JobRecord> StateWriter::load() {
  std::unordered_map<std::string, JobRecord> records;
  ReadTransaction txn = store_.beginRead();
  txn.forEach(StateDb::jobs, [&](std::string_view key, std::string_view value) {
    try {
      auto decoded = ipc::decode(value);
      records.emplace(std::string(key), readRecord(decoded->root<ipc::JobState>()));
    } catch (const ipc::FrameError& e) {
      CHECKER_LOG_ERROR("state: job %.*s: unreadable state (%s); the job starts afresh", static_cast<int>(key.size()),
                        key.data(), e.what());
    }
    return true;
  });
  txn.forEach(StateDb::outbox, [&](std::string_view key, std::string_view value) {
    uint64_t id = std::strtoull(std::string(key).c_str(), nullptr, 16);
    if (id >= nextOutboxId_) nextOutboxId_ = id + 1;
    try {
      auto decoded = ipc::decode(value);  // owns what entry reads
      auto entry = decoded->root<ipc::OutboxEntry>();
      newOutbox_.push_back({id, entry.getAttempts(), entry.getCreatedUnixMs(), entry.getNextAttemptUnixMs(),
                            entry.getPermanentFailure(), entry.getChannel().cStr(), !entry.hasNotice(),
                            entry.getKind() == ipc::MailKind::TEST, entry.getJobId().cStr()});
    } catch (const ipc::FrameError& e) {
      CHECKER_LOG_ERROR("state: outbox entry %llu is unreadable (%s); it stays, unsent",
                        static_cast<unsigned long long>(id), e.what());
    }
    return true;
  });
  return records;
}

std::vector<uint64_t> StateWriter::writeRun(WriteTransaction& txn, const FinishedRun& run, int64_t now) {
  txn.put(StateDb::jobs, run.jobId, encodeState(run));
  recordRunHistory(txn, run, retention_, now);
  if (run.peer) txn.put(StateDb::peers, run.peer->name, encodePeer(*run.peer, run.startedUnixMs));
  std::vector<uint64_t> ids;
  for (const OutboxMail& notice : run.notices) {
    uint64_t id = nextOutboxId_++;  // ids lost to a failed batch leave harmless gaps
    txn.put(StateDb::outbox, state_keys::outboxKey(id), encodeOutbox(id, run.jobId, notice, now));
    ids.push_back(id);
  }
  return ids;
}

std::optional<std::string> StateWriter::readOutboxEntry(uint64_t id) {
  ReadTransaction txn = store_.beginRead();
  std::optional<std::string_view> value = txn.get(StateDb::outbox, state_keys::outboxKey(id));
  if (!value) return std::nullopt;
  return std::string(*value);
}

void StateWriter::outboxDelivered(const OutboxStatus& status, std::string reply, int64_t atUnixMs) {
  outboxChanges_.push_back({status, true, true, true, std::move(reply), atUnixMs});
}

void StateWriter::outboxAttemptFailed(const OutboxStatus& status, std::string error, int64_t atUnixMs) {
  outboxChanges_.push_back({status, false, true, false, std::move(error), atUnixMs});
}

void StateWriter::outboxTestAnswered(const OutboxStatus& status, bool accepted, std::string reply, int64_t atUnixMs) {
  outboxChanges_.push_back({status, true, true, accepted, std::move(reply), atUnixMs});
}

void StateWriter::outboxRemoved(uint64_t id) {
  OutboxChange change;
  change.status.id = id;
  change.erase = true;
  change.answered = false;
  outboxChanges_.push_back(std::move(change));
}

uint64_t StateWriter::queueNotice(std::string jobId, OutboxMail notice) {
  uint64_t id = nextOutboxId_++;  // kept if a flush fails: the retry writes the same entry
  noticeWaiting_ = true;
  notices_.push_back({id, std::move(jobId), std::move(notice)});
  return id;
}

void StateWriter::amendRecord(std::string jobId, JobRecord record) {
  for (auto run = batch_.rbegin(); run != batch_.rend(); ++run) {
    if (run->jobId == jobId) {
      run->record = std::move(record);
      return;
    }
  }
  amends_[std::move(jobId)] = std::move(record);
}

void StateWriter::writeAmends(WriteTransaction& txn) {
  for (const auto& [jobId, record] : amends_) {
    std::optional<std::string_view> stored = txn.get(StateDb::jobs, jobId);
    if (!stored) continue;
    capnp::MallocMessageBuilder message;
    try {
      auto decoded = ipc::decode(*stored);
      message.setRoot(decoded->root<ipc::JobState>());
    } catch (const ipc::FrameError& e) {
      CHECKER_LOG_WARN("job %s: stored state unreadable (%s); its hold is kept for its next run", jobId.c_str(), e.what());
      continue;
    }
    writeRecordFields(message.getRoot<ipc::JobState>(), record);
    txn.put(StateDb::jobs, jobId, ipc::encode(message));
  }
}

void StateWriter::writeNotices(WriteTransaction& txn, int64_t now) {
  for (const QueuedNotice& queued : notices_) {
    txn.put(StateDb::outbox, state_keys::outboxKey(queued.id), encodeOutbox(queued.id, queued.jobId, queued.notice, now));
  }
}

void StateWriter::takeWrittenNotices(int64_t now) {
  for (QueuedNotice& queued : notices_) {
    const OutboxMail& notice = queued.notice;
    ++outboxWritten_;
    newOutbox_.push_back({queued.id, 0, now, now, false, notice.channel, !notice.facts.has_value(),
                          notice.kind == ipc::MailKind::TEST, queued.jobId});
    CHECKER_LOG_INFO("%s queued as outbox entry %llu for channel %s", notice.subject.c_str(),
                     static_cast<unsigned long long>(queued.id), channelOfEntry(notice.channel).c_str());
  }
  notices_.clear();
}

void StateWriter::applyOutboxChange(WriteTransaction& txn, const OutboxChange& change) {
  std::string key = state_keys::outboxKey(change.status.id);
  if (change.answered) {
    recordChannelResult(txn, channelOfEntry(change.status.channel), change.accepted, change.atUnixMs, change.reply);
  }
  if (change.erase) {
    txn.erase(StateDb::outbox, key);
    return;
  }
  std::optional<std::string_view> stored = txn.get(StateDb::outbox, key);
  if (!stored) return;  // delivered meanwhile
  auto decoded = ipc::decode(*stored);
  capnp::MallocMessageBuilder message;
  message.setRoot(decoded->root<ipc::OutboxEntry>());
  auto entry = message.getRoot<ipc::OutboxEntry>();
  entry.setAttempts(change.status.attempts);
  entry.setNextAttemptUnixMs(change.status.nextAttemptUnixMs);
  entry.setPermanentFailure(change.status.permanentFailure);
  entry.setLastError(change.reply);
  txn.put(StateDb::outbox, key, ipc::encode(message));
}

void StateWriter::recordReload(int64_t unixMs, bool ok, std::string message) {
  reload_ = SelfCheckRecord{unixMs, ok, std::move(message)};
}

std::optional<JobRecord> StateWriter::readJobRecord(const std::string& jobId) {
  ReadTransaction txn = store_.beginRead();
  std::optional<std::string_view> value = txn.get(StateDb::jobs, jobId);
  if (!value) return std::nullopt;
  try {
    auto decoded = ipc::decode(*value);
    return readRecord(decoded->root<ipc::JobState>());
  } catch (const ipc::FrameError& e) {
    CHECKER_LOG_ERROR("state: job %s: unreadable state (%s); the job starts afresh", jobId.c_str(), e.what());
    return std::nullopt;
  }
}

void StateWriter::recordSelfCheck(int64_t checkedUnixMs, bool ok, std::string message) {
  selfCheck_ = SelfCheckRecord{checkedUnixMs, ok, std::move(message)};
}

void StateWriter::writeSelfCheck(WriteTransaction& txn) {
  int64_t lastOk = 0;
  if (std::optional<std::string_view> stored = txn.get(StateDb::email, state_keys::kSelfCheck)) {
    try {
      lastOk = ipc::decode(*stored)->root<ipc::EmailState>().getLastOkUnixMs();
    } catch (const ipc::FrameError&) {
      // replaced below
    }
  }
  capnp::MallocMessageBuilder message;
  auto state = message.initRoot<ipc::EmailState>();
  state.setLastCheckUnixMs(selfCheck_->checkedUnixMs);
  state.setOk(selfCheck_->ok);
  state.setMessage(selfCheck_->message);
  state.setLastOkUnixMs(selfCheck_->ok ? selfCheck_->checkedUnixMs : lastOk);
  txn.put(StateDb::email, state_keys::kSelfCheck, ipc::encode(message));
}

void StateWriter::flush(int64_t nowUnixMs) {
  if (!hasWork()) return;
  std::vector<std::vector<uint64_t>> outboxIds;
  {
    // On a throw nothing of the batch is committed; it stays for the next attempt.
    WriteTransaction txn = store_.beginWrite();
    for (const FinishedRun& run : batch_) outboxIds.push_back(writeRun(txn, run, nowUnixMs));
    writeAmends(txn);
    writeNotices(txn, nowUnixMs);
    // The channel rows first: a result recorded below finds its channel's row.
    if (channels_) writeChannelList(txn, *channels_);
    for (const OutboxChange& change : outboxChanges_) applyOutboxChange(txn, change);
    if (selfCheck_) writeSelfCheck(txn);
    if (reload_) {
      capnp::MallocMessageBuilder message;
      auto state = message.initRoot<ipc::ReloadState>();
      state.setUnixMs(reload_->checkedUnixMs);
      state.setOk(reload_->ok);
      state.setMessage(reload_->message);
      txn.put(StateDb::meta, state_keys::kReload, ipc::encode(message));
    }
    if (jobList_) txn.put(StateDb::meta, state_keys::kJobList, encodeJobList(*jobList_));
    txn.put(StateDb::meta, state_keys::kHeartbeat, encodeHeartbeat(nowUnixMs));
    txn.commit();
  }
  for (size_t i = 0; i < batch_.size(); ++i) {
    const FinishedRun& run = batch_[i];
    for (size_t k = 0; k < outboxIds[i].size(); ++k) {
      const OutboxMail& notice = run.notices[k];
      ++outboxWritten_;
      newOutbox_.push_back({outboxIds[i][k], 0, nowUnixMs, nowUnixMs, false, notice.channel, !notice.facts.has_value(),
                            notice.kind == ipc::MailKind::TEST, run.jobId});
      CHECKER_LOG_INFO("job %s: %s queued as outbox entry %llu%s%s: %s", run.jobName.c_str(),
                       notice.kind == ipc::MailKind::RECOVERY || notice.kind == ipc::MailKind::PEER_RECOVERY
                           ? "recovery notice"
                           : "failure notice",
                       static_cast<unsigned long long>(outboxIds[i][k]), notice.channel.empty() ? "" : " for channel ",
                       notice.channel.c_str(), notice.subject.c_str());
    }
  }
  takeWrittenNotices(nowUnixMs);
  batch_.clear();
  amends_.clear();
  outboxChanges_.clear();
  channels_.reset();
  selfCheck_.reset();
  reload_.reset();
  jobList_.reset();
  beat_ = false;
  noticeWaiting_ = false;
}

}  // namespace checker
