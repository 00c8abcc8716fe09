#include "state/state_view.h"

#include <ctime>

#include "common/utf8_text.h"
#include "ipc/framing.h"
#include "state/state_keys.h"

namespace checker {

const char* healthName(ipc::Health health) {
  switch (health) {
    case ipc::Health::OK: return "ok";
    case ipc::Health::FAILING: return "failing";
    default: return "never run";
  }
}

std::string localTime(int64_t unixMs) {
  if (unixMs <= 0) return "-";
  time_t seconds = static_cast<time_t>(unixMs / 1000);
  tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

const char* noticeHoldName(ipc::NoticeHold hold) {
  switch (hold) {
    case ipc::NoticeHold::NONE: return "none";
    case ipc::NoticeHold::QUIET: return "quiet";
    case ipc::NoticeHold::BLOCKED: return "blocked";
    case ipc::NoticeHold::FLAPPING: return "flapping";
    case ipc::NoticeHold::CONFIRMING: return "confirming";
    case ipc::NoticeHold::UNCONFIRMED: return "unconfirmed";
  }
  return "none";
}

JobStatus decodeJobStatus(std::string_view id, std::string_view value) {
  JobStatus job;
  job.id = std::string(id);
  try {
    auto decoded = ipc::decode(value);
    auto s = decoded->root<ipc::JobState>();
    job.name = cleanLine(s.getName().cStr());
    job.type = s.getType().cStr();
    job.health = s.getHealth();
    job.consecutiveFailures = s.getConsecutiveFailures();
    job.consecutiveSuccesses = s.getConsecutiveSuccesses();
    job.firstFailureUnixMs = s.getFirstFailureUnixMs();
    job.lastNotifyUnixMs = s.getLastNotifyUnixMs();
    job.notifiedFailure = s.getNotifiedFailure();
    job.lastRunUnixMs = s.getLastRunUnixMs();
    job.lastOutcome = s.getLastOutcome();
    job.message = cleanLine(s.getLastMessage().cStr());
    job.lastDurationMs = s.getLastDurationMs();
    job.lastLatencyUs = s.getLastLatencyUs();
    job.runs = s.getRuns();
    job.overruns = s.getOverruns();
    job.hold = s.getNoticeHold();
    job.holdReason = cleanLine(s.getHoldReason().cStr());
    job.holdSinceUnixMs = s.getHoldSinceUnixMs();
    job.flapping = s.getFlapping();
  } catch (const ipc::FrameError& e) {
    job.unreadable = true;
    job.message = e.what();
  }
  if (job.name.empty()) job.name = job.id;
  return job;
}

Result<std::optional<std::vector<ListedJob>>> readJobList(const StateReader& txn) {
  std::optional<std::string_view> value = txn.get(StateDb::meta, state_keys::kJobList);
  if (!value) return std::optional<std::vector<ListedJob>>{};
  std::vector<ListedJob> jobs;
  try {
    auto decoded = ipc::decode(*value);
    for (auto j : decoded->root<ipc::RunningJobs>().getJobs()) {
      ListedJob& listed = jobs.emplace_back(ListedJob{j.getId().cStr(), cleanLine(j.getName().cStr()), j.getType().cStr(),
                                                      j.getSection().cStr(), j.getSchedule().cStr(), j.getSystem()});
      listed.timeoutMs = j.getTimeoutMs();
      listed.notify = cleanLine(j.getNotify().cStr());
      listed.isolation = cleanLine(j.getIsolation().cStr());
    }
  } catch (const ipc::FrameError& e) {
    return Error{"meta " + std::string(state_keys::kJobList) + ": unreadable job list: " + e.what()};
  }
  return std::optional<std::vector<ListedJob>>{std::move(jobs)};
}

std::optional<JobStatus> readJobStatus(const StateReader& txn, std::string_view id) {
  std::optional<std::string_view> value = txn.get(StateDb::jobs, id);
  if (!value) return std::nullopt;
  return decodeJobStatus(id, *value);
}

std::vector<JobStatus> readAllJobStatus(const StateReader& txn) {
  std::vector<JobStatus> jobs;
  txn.forEach(StateDb::jobs, [&](std::string_view key, std::string_view value) {
    jobs.push_back(decodeJobStatus(key, value));
    return true;
  });
  return jobs;
}

OutboxSummary readOutbox(const StateReader& txn) {
  OutboxSummary summary;
  uint32_t mostAttempts = 0;
  txn.forEach(StateDb::outbox, [&](std::string_view, std::string_view value) {
    try {
      auto decoded = ipc::decode(value);
      auto entry = decoded->root<ipc::OutboxEntry>();
      summary.entries.push_back({entry.getId(), entry.getAttempts(), entry.getCreatedUnixMs(),
                                 entry.getNextAttemptUnixMs(), entry.getPermanentFailure(),
                                 cleanLine(entry.getChannel().cStr()), !entry.hasNotice(),
                                 entry.getKind() == ipc::MailKind::TEST});
      if (entry.getPermanentFailure()) {
        summary.refused.push_back({entry.getId(), entry.getTo().size() > 0 ? cleanLine(entry.getTo()[0].cStr()) : "",
                                   cleanLine(entry.getSubject().cStr()), cleanLine(entry.getLastError().cStr())});
        return true;
      }
      ++summary.pending;
      if (summary.oldestPendingUnixMs == 0 || entry.getCreatedUnixMs() < summary.oldestPendingUnixMs) {
        summary.oldestPendingUnixMs = entry.getCreatedUnixMs();
      }
      if (entry.getAttempts() > 0 && entry.getAttempts() >= mostAttempts) {
        mostAttempts = entry.getAttempts();
        summary.lastError = cleanLine(entry.getLastError().cStr());
      }
    } catch (const ipc::FrameError&) {
      ++summary.pending;  // unreadable, but still there: counted
    }
    return true;
  });
  return summary;
}

std::vector<PeerRow> readPeers(const Config& config, const StateReader* txn) {
  std::vector<PeerRow> rows;
  for (const PeerSettings& peer : config.peers) {
    PeerRow row;
    row.name = peer.name;
    row.url = peer.url;
    std::optional<std::string_view> value = txn ? txn->get(StateDb::peers, peer.name) : std::nullopt;
    if (value) {
      try {
        auto decoded = ipc::decode(*value);
        auto state = decoded->root<ipc::PeerState>();
        if (state.getUrl() == peer.url) {  // else an older line of that name
          row.asked = true;
          row.code = state.getStatus();
          row.status = peerStatusName(row.code);
          row.message = cleanLine(state.getMessage().cStr());
          row.lastQueryUnixMs = state.getLastQueryUnixMs();
          row.sinceUnixMs = state.getSinceUnixMs();
        }
      } catch (const ipc::FrameError& e) {
        row.status = "unreadable";
        row.message = e.what();
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

const char* peerStatusName(ipc::PeerStatus status) {
  switch (status) {
    case ipc::PeerStatus::HEALTHY: return "healthy";
    case ipc::PeerStatus::MAIL_PROBLEM: return "MailProblem";
    case ipc::PeerStatus::JOB_PROBLEM: return "JobProblem";
    case ipc::PeerStatus::NO_ANSWER: return "no answer";
    case ipc::PeerStatus::BAD_STATUS: return "bad status";
    case ipc::PeerStatus::UNEXPECTED_BODY: return "unexpected answer";
    case ipc::PeerStatus::UNVERIFIED: return "unverified";
    default: return "unknown";
  }
}

}  // namespace checker
