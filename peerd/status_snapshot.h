#pragma once
// What peerd's status page and /metrics show, gathered in one place at the
// moment of a request: peerd's own view (the plain answer, the heartbeat,
// the supervisor's counters) and the state read from LMDB
// (peerd/state_source.h). The renderers (status_page.h, metrics_text.h)
// are pure functions of it.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "peerd/run_bar.h"
#include "state/channel_health.h"
#include "state/history_view.h"
#include "state/mail_health.h"
#include "state/run_metrics.h"
#include "state/state_view.h"

namespace checker::peerd {

// A job checkerd runs now (ipc/peerd.capnp JobList).
struct LiveJob {
  std::string id, name;
};

// A job's recent history as the overview shows it: its uptime over the
// last 24 h and its newest runs (for the bar), oldest first.
struct JobRecent {
  Uptime day;
  // Over 7 and 30 days: for the jobs the page lists, at most two minutes
  // old (peerd/uptime_cache.h); empty for the others.
  std::optional<Uptime> week, month;
  std::vector<BarRun> runs;
};

struct StatusSnapshot {
  std::string serverName;
  int64_t nowUnixMs = 0;
  std::string answer;                           // the plain word peers are told now
  std::optional<int64_t> heartbeatAgeMs;        // since checkerd's last heartbeat; nullopt: none yet
  std::optional<SupervisorCounters> counters;   // as of that heartbeat; nullopt: none yet
  std::string stateError;                       // not empty: the state could not be read (below is empty)
  std::vector<JobStatus> jobs;                  // the jobs checkerd runs that have a stored state, in its order
  std::unordered_map<std::string, JobRecent> recent;  // by job id, for those jobs
  std::vector<std::string> notRunYet;           // names of those that have none yet
  bool noMail = false;                          // [email] nomail
  std::optional<SelfCheckState> selfCheck;      // nullopt: none ran yet
  MailHealth mail;
  OutboxSummary outbox;
  std::vector<ChannelRow> channels;             // "email" and each [channel NAME]: their health
  std::vector<PeerRow> peers;
};

}  // namespace checker::peerd
