// peerd's /metrics (peerd/metrics_text.h) from a snapshot, read back by a
// strict reader of the text format 0.0.4 (support/prometheus_text.h, itself
// tested here on what the format forbids).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "peerd/metrics_text.h"
#include "support/prometheus_text.h"

namespace checker::peerd {
namespace {

using test::parsePrometheusText;
using test::PromParse;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'800'000'000'000;

StatusSnapshot sample() {
  StatusSnapshot s;
  s.serverName = "web \"1\"\\";
  s.nowUnixMs = kNow;
  s.answer = "MailProblem";
  s.heartbeatAgeMs = 1'500;
  SupervisorCounters c;
  c.runs.recordRun(ipc::Outcome::OK, 3);         // le 0.005
  c.runs.recordRun(ipc::Outcome::OK, 5);         // le 0.005 (bounds are inclusive)
  c.runs.recordRun(ipc::Outcome::FAILED, 6);     // le 0.01
  c.runs.recordRun(ipc::Outcome::TIMED_OUT, 31'000);  // le 60
  c.runs.recordRun(ipc::Outcome::CRASHED, 400'000);   // above every bound
  c.spawnFailures = 2;
  c.overruns = 7;
  c.runsLost = 1;
  s.counters = c;
  JobStatus ok;
  ok.id = "exec:/bin/true";
  ok.name = "good";
  ok.health = ipc::Health::OK;
  ok.runs = 4;
  ok.lastRunUnixMs = kNow - 1'250;
  ok.lastDurationMs = 12;
  ok.lastLatencyUs = 1'500;
  JobStatus failing;
  failing.id = "exec:/bin/sh -c \"exit 2\" \\ x";
  failing.name = "bad\nname \xff";
  failing.health = ipc::Health::FAILING;
  failing.consecutiveFailures = 3;
  failing.runs = 3;
  failing.lastRunUnixMs = kNow - 1'000;
  failing.lastDurationMs = 2'500;
  JobStatus broken;
  broken.id = "tcp:h:1";
  broken.name = "tcp:h:1";
  broken.unreadable = true;
  s.jobs = {ok, failing, broken};
  s.recent[ok.id].day = Uptime{96, 1};
  s.notRunYet = {"later", "daily"};
  s.selfCheck = SelfCheckState{kNow - 60'000, false, "imap auth"};
  s.outbox.pending = 2;
  s.outbox.oldestPendingUnixMs = kNow - 90'000;
  s.outbox.refused.push_back({3, "a@b.org", "s", "550"});
  PeerRow asked;
  asked.name = "backup";
  asked.asked = true;
  asked.code = ipc::PeerStatus::NO_ANSWER;
  asked.lastQueryUnixMs = kNow - 5'000;
  PeerRow fresh;
  fresh.name = "new";
  s.peers = {asked, fresh};
  return s;
}

TEST(MetricsText, ReadsBackUnderTheStrictReader) {
  std::string text = renderMetrics(sample());
  PromParse p = parsePrometheusText(text);
  ASSERT_TRUE(p.ok) << p.error << "\n" << text;
  EXPECT_EQ(p.value("checker_build_info", {{"version", CHECKER_VERSION}, {"server", "web \"1\"\\"}}), 1);
  EXPECT_EQ(p.value("checker_answer", {{"answer", "MailProblem"}}), 1);
  EXPECT_EQ(p.value("checker_answer", {{"answer", "True"}}), 0);
  EXPECT_EQ(p.value("checker_supervisor_heartbeat_age_seconds"), 1.5);
  EXPECT_EQ(p.value("checker_runs_total", {{"outcome", "ok"}}), 2);
  EXPECT_EQ(p.value("checker_runs_total", {{"outcome", "failed"}}), 1);
  EXPECT_EQ(p.value("checker_runs_total", {{"outcome", "limit"}}), 0);
  EXPECT_EQ(p.family("checker_runs_total")->type, "counter");
  EXPECT_EQ(p.family("checker_run_duration_seconds")->type, "histogram");
  EXPECT_EQ(p.value("checker_run_duration_seconds_bucket", {{"le", "0.005"}}), 2);
  EXPECT_EQ(p.value("checker_run_duration_seconds_bucket", {{"le", "0.01"}}), 3);
  EXPECT_EQ(p.value("checker_run_duration_seconds_bucket", {{"le", "60"}}), 4);
  EXPECT_EQ(p.value("checker_run_duration_seconds_bucket", {{"le", "300"}}), 4);
  EXPECT_EQ(p.value("checker_run_duration_seconds_bucket", {{"le", "+Inf"}}), 5);
  EXPECT_EQ(p.value("checker_run_duration_seconds_count"), 5);
  EXPECT_EQ(p.value("checker_run_duration_seconds_sum"), 431.014);
  EXPECT_EQ(p.value("checker_worker_spawn_failures_total"), 2);
  EXPECT_EQ(p.value("checker_job_overruns_total"), 7);
  EXPECT_EQ(p.value("checker_runs_lost_total"), 1);
  EXPECT_EQ(p.value("checker_state_readable"), 1);
  EXPECT_EQ(p.value("checker_jobs", {{"state", "ok"}}), 1);
  EXPECT_EQ(p.value("checker_jobs", {{"state", "failing"}}), 1);
  EXPECT_EQ(p.value("checker_jobs", {{"state", "not_run"}}), 2);
  EXPECT_EQ(p.value("checker_jobs", {{"state", "unreadable"}}), 1);
  // Labels come back exactly as the state had them (invalid UTF-8 replaced).
  std::map<std::string, std::string> bad{{"id", "exec:/bin/sh -c \"exit 2\" \\ x"}, {"name", "bad\nname \xEF\xBF\xBD"}};
  std::map<std::string, std::string> good{{"id", "exec:/bin/true"}, {"name", "good"}};
  EXPECT_EQ(p.value("checker_job_failing", bad), 1);
  EXPECT_EQ(p.value("checker_job_failing", good), 0);
  EXPECT_EQ(p.value("checker_job_consecutive_failures", bad), 3);
  EXPECT_EQ(p.value("checker_job_last_run_timestamp_seconds", good), 1'799'999'998.75);
  EXPECT_EQ(p.value("checker_job_last_duration_seconds", bad), 2.5);
  EXPECT_EQ(p.value("checker_job_latency_seconds", good), 0.0015);
  EXPECT_FALSE(p.value("checker_job_latency_seconds", bad)) << "its last run measured nothing: no sample";
  std::map<std::string, std::string> goodDay{{"id", "exec:/bin/true"}, {"name", "good"}, {"window", "24h"}};
  EXPECT_EQ(p.value("checker_job_uptime_ratio", goodDay), 95.0 / 96.0);
  EXPECT_FALSE(p.value("checker_job_uptime_ratio", {{"id", bad["id"]}, {"name", bad["name"]}, {"window", "24h"}}))
      << "no runs known: no ratio";
  EXPECT_FALSE(p.value("checker_job_failing", {{"id", "tcp:h:1"}, {"name", "tcp:h:1"}})) << "unreadable: not a 0";
  EXPECT_EQ(p.value("checker_outbox_pending"), 2);
  EXPECT_EQ(p.value("checker_outbox_oldest_pending_age_seconds"), 90);
  EXPECT_EQ(p.value("checker_outbox_refused"), 1);
  EXPECT_EQ(p.value("checker_email_selfcheck_ok"), 0);
  EXPECT_EQ(p.value("checker_email_selfcheck_timestamp_seconds"), 1'799'999'940);
  EXPECT_EQ(p.value("checker_peer_status", {{"peer", "backup"}, {"status", "no_answer"}}), 1);
  EXPECT_EQ(p.value("checker_peer_status", {{"peer", "backup"}, {"status", "healthy"}}), 0);
  EXPECT_EQ(p.value("checker_peer_status", {{"peer", "new"}, {"status", "healthy"}}), 0);
  EXPECT_EQ(p.value("checker_peer_last_query_timestamp_seconds", {{"peer", "backup"}}), 1'799'999'995);
  EXPECT_FALSE(p.value("checker_peer_last_query_timestamp_seconds", {{"peer", "new"}}));
  // The escapes as written.
  EXPECT_THAT(text, HasSubstr("name=\"bad\\nname \xEF\xBF\xBD\""));
  EXPECT_THAT(text, HasSubstr("id=\"exec:/bin/sh -c \\\"exit 2\\\" \\\\ x\""));
}

TEST(MetricsText, BeforeTheFirstHeartbeatNoCountersAndAnInfiniteAge) {
  StatusSnapshot s = sample();
  s.counters.reset();
  s.heartbeatAgeMs.reset();
  std::string text = renderMetrics(s);
  PromParse p = parsePrometheusText(text);
  ASSERT_TRUE(p.ok) << p.error << "\n" << text;
  EXPECT_TRUE(std::isinf(*p.value("checker_supervisor_heartbeat_age_seconds")));
  EXPECT_THAT(text, HasSubstr("checker_supervisor_heartbeat_age_seconds +Inf\n"));
  EXPECT_EQ(p.family("checker_runs_total"), nullptr) << "no counters rather than zeros that would read as a reset";
  EXPECT_EQ(p.family("checker_run_duration_seconds"), nullptr);
}

TEST(MetricsText, AStateThatCannotBeReadLeavesOnlyWhatPeerdKnows) {
  StatusSnapshot s = sample();
  s.stateError = "no state";
  s.jobs.clear();
  s.notRunYet.clear();
  s.peers.clear();
  s.selfCheck.reset();
  PromParse p = parsePrometheusText(renderMetrics(s));
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.value("checker_state_readable"), 0);
  EXPECT_EQ(p.family("checker_jobs"), nullptr);
  EXPECT_EQ(p.family("checker_outbox_pending"), nullptr);
  EXPECT_NE(p.family("checker_runs_total"), nullptr);
}

TEST(MetricsText, NoJobsNoPeersNoEmptyFamilies) {
  StatusSnapshot s;
  s.serverName = "s";
  s.nowUnixMs = kNow;
  s.answer = "True";
  std::string text = renderMetrics(s);
  PromParse p = parsePrometheusText(text);
  ASSERT_TRUE(p.ok) << p.error << "\n" << text;
  for (const auto& family : p.families) EXPECT_FALSE(family.samples.empty()) << family.name;
  EXPECT_EQ(p.family("checker_job_failing"), nullptr);
  EXPECT_EQ(p.family("checker_peer_status"), nullptr);
  EXPECT_EQ(p.family("checker_email_selfcheck_ok"), nullptr);
}

// The reader is only worth its passes if it refuses what the format forbids.
TEST(PrometheusTextReader, RefusesWhatTheFormatForbids) {
  const std::string ok = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
  ASSERT_TRUE(parsePrometheusText(ok).ok) << parsePrometheusText(ok).error;
  const std::string hist =
      "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n"
      "h_sum 2.5\nh_count 3\n";
  ASSERT_TRUE(parsePrometheusText(hist).ok) << parsePrometheusText(hist).error;
  const std::pair<std::string, std::string> bad[] = {
      {"# HELP a A.\n# TYPE a gauge\na 1", "does not end with a line feed"},
      {"# HELP a A.\n# TYPE a gauge\n1a 1\n", "bad metric name"},
      {"# HELP a-b A.\n", "bad metric name"},
      {"a 1\n", "without HELP and TYPE"},
      {"# HELP a A.\n# HELP a A.\n# TYPE a gauge\na 1\n", "a second HELP"},
      {"# HELP a A.\n# TYPE a gauge\n# TYPE a gauge\na 1\n", "a second TYPE"},
      {"# HELP a A.\n# TYPE a gauge\na 1\n# HELP a again\n", "after its samples"},
      {"# HELP a A.\n# TYPE a gauges\na 1\n", "unknown type"},
      {"# HELP a A \\t.\n# TYPE a gauge\na 1\n", "HELP has the escape \\t"},
      {"# HELP a A.\n# TYPE a gauge\na{1x=\"v\"} 1\n", "bad label name"},
      {"# HELP a A.\n# TYPE a gauge\na{__name__=\"v\"} 1\n", "reserved label name"},
      {"# HELP a A.\n# TYPE a gauge\na{x=\"v\",x=\"w\"} 1\n", "label x twice"},
      {"# HELP a A.\n# TYPE a gauge\na{x=v} 1\n", "not quoted"},
      {"# HELP a A.\n# TYPE a gauge\na{x=\"a\\tb\"} 1\n", "label value escape \\t"},
      {"# HELP a A.\n# TYPE a gauge\na{x=\"a\"b\"} 1\n", "expected ',' or '}'"},
      {"# HELP a A.\n# TYPE a gauge\na{x=\"\xff\"} 1\n", "not valid UTF-8"},
      {"# HELP a A.\n# TYPE a gauge\na 1.2.3\n", "bad value"},
      {"# HELP a A.\n# TYPE a gauge\na 1 12.5\n", "bad timestamp"},
      {"# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n", "twice with the same labels"},
      {"# HELP a A.\n# TYPE a gauge\n# HELP b B.\n# TYPE b gauge\na 1\nb 1\na{x=\"y\"} 1\n", "not in one group"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total -1\n", "counter a_total is -1"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total NaN\n", "counter a_total is NaN"},
      {"# HELP h H.\n# TYPE h histogram\nh 1\n", "not a sample name of h"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
       "h_count 1\n",
       "not ascending"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "not cumulative"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no le=\"+Inf\" bucket"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", "no _sum"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", "no _count"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "differs from _count"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"x\"} 1\nh_sum 1\nh_count 1\n", "is not a number"},
      {"# HELP h H.\n# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n", "without an le label"},
  };
  for (const auto& [text, why] : bad) {
    PromParse p = parsePrometheusText(text);
    EXPECT_FALSE(p.ok) << text;
    EXPECT_THAT(p.error, HasSubstr(why)) << text;
  }
  // What the format allows and a lax reader might refuse.
  const std::string allowed =
      "# a comment\n\n# HELP a A \\\\ and \\n.\n# TYPE a gauge\na{x=\"q\\\"\\\\\\n\",y=\"\"} +Inf 1700000000000\n"
      "a{x=\"2\",} -1.5e-3\na NaN\n";
  PromParse p = parsePrometheusText(allowed);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.family("a")->help, "A \\ and \n.");
  EXPECT_EQ(p.family("a")->samples[0].labels.at("x"), "q\"\\\n");
  EXPECT_EQ(*p.family("a")->samples[0].timestamp, 1'700'000'000'000);
  EXPECT_EQ(p.value("a", {{"x", "2"}}), -0.0015);
}

}  // namespace
}  // namespace checker::peerd
