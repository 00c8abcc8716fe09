#include "peerd/metrics_text.h"

#include <limits>
#include <utility>
#include <vector>

#include "peerd/text_escape.h"
#include "state/run_outcome.h"

namespace checker::peerd {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One family: its HELP and TYPE lines before its first sample, so a family
// without samples leaves no trace.
class Family {
 public:
  Family(std::string& out, const char* name, const char* type, const char* help)
      : out_(out), name_(name), type_(type), help_(help) {}
  // A sample of the family's own name, or of NAME + SUFFIX (_bucket, _sum, _count).
  void sample(const Labels& labels, const std::string& value, const char* suffix = "") {
    if (!started_) {
      out_ += std::string("# HELP ") + name_ + " " + promHelpText(help_) + "\n# TYPE " + name_ + " " + type_ + "\n";
      started_ = true;
    }
    out_ += name_;
    out_ += suffix;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        out_ += (i ? ",": "") + labels[i].first + "=\"" + promLabelValue(labels[i].second) + "\"";
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

 private:
  std::string& out_;
  const char* name_;
  const char* type_;
  const char* help_;
  bool started_ = false;
};

std::string seconds(int64_t ms) { return promNumber(static_cast<double>(ms) / 1000.0); }

// A label value for a peer's status: the stored answer in snake case.
const char* peerStatusLabel(ipc::PeerStatus status) {
  switch (status) {
    case ipc::PeerStatus::HEALTHY: return "healthy";
    case ipc::PeerStatus::MAIL_PROBLEM: return "mail_problem";
    case ipc::PeerStatus::JOB_PROBLEM: return "job_problem";
    case ipc::PeerStatus::NO_ANSWER: return "no_answer";
    case ipc::PeerStatus::BAD_STATUS: return "bad_status";
    case ipc::PeerStatus::UNEXPECTED_BODY: return "unexpected_body";
    case ipc::PeerStatus::UNVERIFIED: return "unverified";
    default: return "unknown";
  }
}

constexpr ipc::PeerStatus kPeerStatuses[] = {
    ipc::PeerStatus::HEALTHY,    ipc::PeerStatus::MAIL_PROBLEM,    ipc::PeerStatus::JOB_PROBLEM,
    ipc::PeerStatus::NO_ANSWER,  ipc::PeerStatus::BAD_STATUS,      ipc::PeerStatus::UNEXPECTED_BODY,
    ipc::PeerStatus::UNVERIFIED};

void supervisorFamilies(std::string& out, const SupervisorCounters& c) {
  Family runs(out, "checker_runs_total", "counter",
              "Finished runs since checkerd started (worker runs, peer checks, email self-checks), by outcome.");
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    runs.sample({{"outcome", outcomeName(kOutcomes[i])}}, promNumber(c.runs.runsByOutcome[i]));
  }
  Family duration(out, "checker_run_duration_seconds", "histogram", "How long finished runs took, in seconds.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < c.runs.durationBoundsMs.size(); ++i) {
    cumulative += c.runs.durationBuckets[i];
    duration.sample({{"le", promNumber(c.runs.durationBoundsMs[i] / 1000.0)}}, promNumber(cumulative), "_bucket");
  }
  cumulative += c.runs.durationBuckets.back();
  duration.sample({{"le", "+Inf"}}, promNumber(cumulative), "_bucket");
  duration.sample({}, seconds(static_cast<int64_t>(c.runs.durationSumMs)), "_sum");
  duration.sample({}, promNumber(cumulative), "_count");
  Family spawn(out, "checker_worker_spawn_failures_total", "counter",
               "Runs whose worker could not be started, since checkerd started.");
  spawn.sample({}, promNumber(c.spawnFailures));
  Family overruns(out, "checker_job_overruns_total", "counter",
                  "Times a job was due while its previous run still ran, since checkerd started.");
  overruns.sample({}, promNumber(c.overruns));
  Family lost(out, "checker_runs_lost_total", "counter",
              "Runs lost with the worker launcher (not recorded), since checkerd started.");
  lost.sample({}, promNumber(c.runsLost));
}

void jobFamilies(std::string& out, const StatusSnapshot& s) {
  uint64_t ok = 0, failing = 0, unreadable = 0;
  for (const JobStatus& job : s.jobs) {
    if (job.unreadable) ++unreadable;
    else if (job.health == ipc::Health::FAILING) ++failing;
    else ++ok;
  }
  Family jobs(out, "checker_jobs", "gauge", "Jobs checkerd runs now, by state.");
  jobs.sample({{"state", "ok"}}, promNumber(ok));
  jobs.sample({{"state", "failing"}}, promNumber(failing));
  jobs.sample({{"state", "not_run"}}, promNumber(static_cast<uint64_t>(s.notRunYet.size())));
  jobs.sample({{"state", "unreadable"}}, promNumber(unreadable));
  auto each = [&](const char* name, const char* help, auto value) {
    Family family(out, name, "gauge", help);
    for (const JobStatus& job : s.jobs) {
      if (!job.unreadable) family.sample({{"id", job.id}, {"name", job.name}}, value(job));
    }
  };
  each("checker_job_failing", "1 when the job is failing (by its notification policy), 0 when it is ok.",
       [](const JobStatus& j) { return promNumber(uint64_t{j.health == ipc::Health::FAILING}); });
  each("checker_job_consecutive_failures", "The job's failed runs in a row.",
       [](const JobStatus& j) { return promNumber(uint64_t{j.consecutiveFailures}); });
  each("checker_job_last_run_timestamp_seconds", "When the job's last run started (Unix time).",
       [](const JobStatus& j) { return seconds(j.lastRunUnixMs); });
  each("checker_job_last_duration_seconds", "How long the job's last run took.",
       [](const JobStatus& j) { return seconds(j.lastDurationMs); });
  // One series per job whose notices are held, labelled with what holds them.
  Family held(out, "checker_job_notices_held", "gauge",
              "1 while the job's notices are held: by a maintenance window or silence (quiet), a failing job it "
              "depends on (blocked), or its flapping.");
  for (const JobStatus& job : s.jobs) {
    if (!job.unreadable && job.hold != ipc::NoticeHold::NONE) {
      held.sample({{"id", job.id}, {"name", job.name}, {"by", noticeHoldName(job.hold)}}, promNumber(uint64_t{1}));
    }
  }
  each("checker_job_flapping", "1 while the job is flapping (its state changes too often to notify).",
       [](const JobStatus& j) { return promNumber(uint64_t{j.flapping}); });
  // One series per job; none while its last run measured nothing (a failed probe).
  Family latency(out, "checker_job_latency_seconds", "gauge",
                 "The probe's own latency in the job's last run (TCP connect, HTTP response, TLS handshake, an exec "
                 "job's command), apart from the sandbox's overhead.");
  for (const JobStatus& job : s.jobs) {
    if (!job.unreadable && job.lastLatencyUs >= 0) {
      latency.sample({{"id", job.id}, {"name", job.name}}, promNumber(static_cast<double>(job.lastLatencyUs) / 1e6));
    }
  }
  // Longer windows are Prometheus' to compute (avg_over_time); none without runs.
  Family uptime(out, "checker_job_uptime_ratio", "gauge",
                "The share of the job's runs over the last 24 h (whole UTC hours) that were ok.");
  for (const JobStatus& job : s.jobs) {
    auto recent = s.recent.find(job.id);
    if (job.unreadable || recent == s.recent.end() || !recent->second.day.ratio()) continue;
    uptime.sample({{"id", job.id}, {"name", job.name}, {"window", "24h"}}, promNumber(*recent->second.day.ratio()));
  }
}

void stateFamilies(std::string& out, const StatusSnapshot& s) {
  jobFamilies(out, s);
  Family pending(out, "checker_outbox_pending", "gauge", "Alerts waiting in the outbox to be delivered.");
  pending.sample({}, promNumber(static_cast<uint64_t>(s.outbox.pending)));
  Family oldest(out, "checker_outbox_oldest_pending_age_seconds", "gauge",
                "Age of the oldest alert waiting in the outbox; 0 when none waits.");
  oldest.sample({}, s.outbox.pending == 0 ? "0" : seconds(s.nowUnixMs - s.outbox.oldestPendingUnixMs));
  Family refused(out, "checker_outbox_refused", "gauge",
                 "Alerts the mail server refused for good (kept in the outbox, never retried).");
  refused.sample({}, promNumber(static_cast<uint64_t>(s.outbox.refused.size())));
  if (s.selfCheck) {
    Family ok(out, "checker_email_selfcheck_ok", "gauge", "1 when the last email self-check succeeded.");
    ok.sample({}, promNumber(uint64_t{s.selfCheck->ok}));
    Family at(out, "checker_email_selfcheck_timestamp_seconds", "gauge", "When the last email self-check ran (Unix time).");
    at.sample({}, seconds(s.selfCheck->lastCheckUnixMs));
  }
  Family status(out, "checker_peer_status", "gauge",
                "Each peer's last answer: 1 for its status, 0 for the others; all 0 before it was asked.");
  for (const PeerRow& peer : s.peers) {
    for (ipc::PeerStatus candidate : kPeerStatuses) {
      status.sample({{"peer", peer.name}, {"status", peerStatusLabel(candidate)}},
                    promNumber(uint64_t{peer.asked && peer.code == candidate}));
    }
  }
  Family asked(out, "checker_peer_last_query_timestamp_seconds", "gauge", "When each peer was last asked (Unix time).");
  for (const PeerRow& peer : s.peers) {
    if (peer.asked) asked.sample({{"peer", peer.name}}, seconds(peer.lastQueryUnixMs));
  }
}

}  // namespace

std::string renderMetrics(const StatusSnapshot& s) {
  std::string out;
  out.reserve(4096 + s.jobs.size() * 400);
  Family build(out, "checker_build_info", "gauge", "The running checker's version and the instance's servername.");
  build.sample({{"version", CHECKER_VERSION}, {"server", s.serverName}}, "1");
  Family answer(out, "checker_answer", "gauge", "What this instance answers its peers now: 1 for the current word.");
  for (const char* word : {"True", "MailProblem", "JobProblem"}) {
    answer.sample({{"answer", word}}, s.answer == word ? "1" : "0");
  }
  Family heartbeat(out, "checker_supervisor_heartbeat_age_seconds", "gauge",
                   "Seconds since checkerd's last heartbeat reached peerd; +Inf before the first.");
  heartbeat.sample({}, s.heartbeatAgeMs ? seconds(*s.heartbeatAgeMs) : promNumber(std::numeric_limits<double>::infinity()));
  if (s.counters) supervisorFamilies(out, *s.counters);
  Family readable(out, "checker_state_readable", "gauge", "1 when peerd could read the state for this answer.");
  readable.sample({}, s.stateError.empty() ? "1" : "0");
  if (s.stateError.empty()) stateFamilies(out, s);
  return out;
}

}  // namespace checker::peerd
