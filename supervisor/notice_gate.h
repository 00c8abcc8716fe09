#pragma once
// The supervisor's side of the notice gate (state/notice_gate.h): it
// gathers what the gate decides on (is the job quiet, is a job it depends
// on failing) and re-asks the gate when those facts change between runs:
// when a maintenance window or a silence starts or ends, and after a run of
// a job others depend on. Alerting (supervisor/alerting.h) applies the
// answers: it holds notices, and sends one that is no longer held.
//
// depends_on and the order of runs: a child failing just before its parent
// has noticed the same cause must not be told as news. So while the newest
// result of a parent job predates the child's failure, the child waits
// ("waiting for PARENT's next result"): the parent is asked to run now, and
// the child's notice is decided on the parent's answer; if no answer comes
// within the parent's timeout and a margin, the child's notice goes out.
// Likewise when the parent recovers: a child still failing then is asked
// for a fresh result of its own before it is told as news, for most jobs
// behind a router come back with it.
//
// confirm_with: a job's failure notice waits while its peers are asked
// whether they see it failing too (PeerLink::confirm; the quorum:
// supervisor/peer_confirmation.h). Confirmed, it goes out naming who
// confirmed; not confirmed, it is held ("not confirmed: this vantage point
// only") and the peers are asked again at the next failing run a minute
// later. When most jobs with confirm_with fail from here only, this
// instance's own admin is told once: its own network is the likely fault.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/job_definition.h"
#include "peering/peer_view.h"
#include "state/notice_gate.h"
#include "supervisor/alerting.h"
#include "supervisor/run_clock.h"
#include "supervisor/run_engine.h"

namespace checker {

class NoticeGate {
 public:
  struct Sources {
    // Why JOB is quiet at NOW (a maintenance window or a silence:
    // supervisor/silence_book.h); nullopt: it is not (empty: never).
    std::function<std::optional<std::string>(const JobDefinition& job, int64_t nowUnixMs)> quietOf;
    // When quietOf's answer may next change for any job; INT64_MAX: never.
    std::function<int64_t(int64_t nowUnixMs)> nextQuietChange;
    // Asks for a run of JOB_ID now (RunEngine::runNow), WHY for the log;
    // empty: wait for its schedule.
    std::function<void(const std::string& jobId, const char* why)> runSoon;
    // Asks PEERS for their view of JOB_ID, failing here since AFTER
    // (PeerLink::confirm): DONE exactly once, one view per peer.
    std::function<void(const std::string& jobId, const std::vector<std::string>& peers, int64_t afterUnixMs,
                       std::function<void(std::vector<PeerView>)> done)>
        confirm;
    std::function<std::string()> selfName;  // [general] servername
    // One notice to this instance's own admin (alertcontact): SUBJECT, BODY.
    std::function<void(const std::string& subject, const std::string& body)> tellOwnAdmin;
  };

  NoticeGate(uv_loop_t* loop, Clock& clock, RunEngine& engine, Alerting& alerting);
  ~NoticeGate();
  NoticeGate(const NoticeGate&) = delete;
  NoticeGate& operator=(const NoticeGate&) = delete;

  void setSources(Sources sources) { sources_ = std::move(sources); }
  // The jobs changed (start, reload): who depends on whom is read again,
  // and every job's hold is brought up to date.
  void jobsChanged();
  // The quiet facts changed (a silence was added or lifted): every job's
  // hold is brought up to date now.
  void quietChanged() { reevaluateAll(); }
  void close();

  // For Alerting: JOB's facts as its run is recorded. RECORD: its record
  // before this run; FAILING: this run failed (only then is a parent's
  // fresh result awaited).
  GateFacts factsOf(const JobDefinition& job, const JobRecord& record, bool failing, int64_t nowUnixMs) {
    return gather(job, record, failing, nowUnixMs, /*ownRun=*/true);
  }
  // For Alerting: JOB's run was recorded; jobs that depend on its section
  // may be blocked or free now.
  void recorded(const JobDefinition& job);
  // For Alerting: JOB's failure notice waits for its peers (confirm_with):
  // ask them; their answer re-decides it.
  void askPeers(const JobDefinition& job, const JobRecord& record);

 private:
  GateFacts gather(const JobDefinition& job, const JobRecord& record, bool failing, int64_t nowUnixMs, bool ownRun);
  void reevaluate(const JobDefinition& job, JobRecord& record, int64_t nowUnixMs);
  void reevaluateAll();
  void armTimer();
  void onTimer();
  void onPeersAnswered(const std::string& jobId, const std::vector<PeerView>& views);
  // Most jobs with confirm_with failing here only: this instance's own
  // network is the likely fault; its admin is told once.
  void checkVantagePoint();

  uv_loop_t* loop_;
  Clock& clock_;
  RunEngine& engine_;
  Alerting& alerting_;
  Sources sources_;
  std::unordered_map<std::string, std::vector<std::string>> jobsOfSection_;  // section -> job ids
  std::unordered_map<std::string, std::vector<std::string>> dependants_;     // section -> ids of jobs depending on it
  // Children waiting for a parent's fresh result: child id -> when the wait ends.
  std::unordered_map<std::string, int64_t> awaiting_;
  // Children whose parent recovered while they were blocked, waiting for a
  // fresh result of their own: child id -> when the wait ends.
  std::unordered_map<std::string, int64_t> ownResultWanted_;
  // Children that waited in vain this episode: not held for a result again.
  std::unordered_set<std::string> waitedOut_;
  // Peer confirmations of the jobs failing now (confirm_with), by job id.
  struct PeerAsk {
    Confirmation phase = Confirmation::asking;  // asking, confirmed or unconfirmed
    std::string text;
    int64_t decidedUnixMs = 0;
  };
  std::unordered_map<std::string, PeerAsk> peerAsks_;
  bool toldOwnAdmin_ = false;  // about failing from here only (checkVantagePoint)
  // Parents asked to run now, and when (one ask until their next result).
  std::unordered_map<std::string, int64_t> asked_;
  uv_timer_t timer_{};
  bool closed_ = false;
};

}  // namespace checker
