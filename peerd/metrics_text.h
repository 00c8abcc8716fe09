#pragma once
// peerd's /metrics: the Prometheus text exposition format 0.0.4
// (Content-Type kMetricsContentType). Each family is a HELP and a TYPE
// line, then its samples; a family without samples is left out. Label
// values and HELP text are escaped (peerd/text_escape.h).
//
//   family                                        type       labels          from
//   checker_build_info                            gauge      version, server peerd
//   checker_answer                                gauge      answer          peerd: 1 for the plain word peers get now
//   checker_supervisor_heartbeat_age_seconds      gauge                      peerd (+Inf before the first)
//   checker_runs_total                            counter    outcome         checkerd (RunMetrics)
//   checker_run_duration_seconds                  histogram                  checkerd
//   checker_worker_spawn_failures_total           counter                    checkerd
//   checker_job_overruns_total                    counter                    checkerd
//   checker_runs_lost_total                       counter                    checkerd
//   checker_state_readable                        gauge                      peerd: 1 when the state was read
//   checker_jobs                                  gauge      state           state: jobs by ok/failing/not_run/unreadable
//   checker_job_failing                           gauge      id, name        state: 1 failing, 0 ok
//   checker_job_consecutive_failures              gauge      id, name        state
//   checker_job_last_run_timestamp_seconds        gauge      id, name        state
//   checker_job_last_duration_seconds             gauge      id, name        state
//   checker_job_latency_seconds                   gauge      id, name        state (none: last run measured none)
//   checker_job_uptime_ratio                      gauge      id, name, window  state (24h; none without runs)
//   checker_outbox_pending                        gauge                      state
//   checker_outbox_oldest_pending_age_seconds     gauge                      state (0 when none is pending)
//   checker_outbox_refused                        gauge                      state
//   checker_email_selfcheck_ok                    gauge                      state (absent until the first check)
//   checker_email_selfcheck_timestamp_seconds     gauge                      state
//   checker_peer_status                           gauge      peer, status    state: 1 for the peer's last answer
//   checker_peer_last_query_timestamp_seconds     gauge      peer            state
//
// checkerd's counters are as of its last heartbeat (every jobproblem_after/4,
// at most 10 s old) and start again at 0 when checkerd does; until peerd has
// had a heartbeat they are left out (not shown as 0, which would read as a
// counter reset when only peerd restarted). A job's "id" is its identity
// (tcp:HOST:PORT, ...), "name" its section name; the label is not "job",
// which Prometheus gives its own scrape jobs.
#include <string>
#include <string_view>

#include "peerd/status_snapshot.h"

namespace checker::peerd {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string renderMetrics(const StatusSnapshot& snapshot);

}  // namespace checker::peerd
