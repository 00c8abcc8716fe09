// The status page and /metrics of a real checkerd (one passing and one
// failing exec job, peerd on loopback): /metrics read by the strict reader
// of the text format (support/prometheus_text.h) with the supervisor's
// counters in it, the page for a browser's Accept, the original's plain
// word byte for byte for its client, and both switched off.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "peerd/status_instance.h"
#include "support/prometheus_text.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kBrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

// What Python's urllib.request.urlopen sends (the original Checker's client).
std::string urllibRequest(int port) {
  return "GET / HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUser-Agent: Python-urllib/3.11\r\nConnection: close\r\n\r\n";
}

const std::string kPlainTrue =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n"
    "Cache-Control: no-store\r\n\r\nTrue";

TEST(StatusEndpoints, MetricsOfARunningCheckerdPassTheStrictReader) {
  StatusInstance instance;
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(2)) << ::testing::PrintToString(instance.daemon().lines());
  // The supervisor's counters arrive with its heartbeats: wait until they
  // show the failures the log reported.
  std::string response = instance.getUntil("/metrics", "", [](const std::string& r) {
    PromParse p = parsePrometheusText(StatusInstance::bodyOf(r));
    return p.ok && p.value("checker_runs_total", {{"outcome", "failed"}}).value_or(0) >= 2 &&
           p.value("checker_runs_total", {{"outcome", "ok"}}).value_or(0) >= 1 &&
           p.value("checker_job_consecutive_failures", {{"id", "exec:/bin/false"}, {"name", "broken backup"}})
                   .value_or(0) >= 2;
  });
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  std::string text = StatusInstance::bodyOf(response);
  PromParse p = parsePrometheusText(text);
  ASSERT_TRUE(p.ok) << p.error << "\n" << text;
  EXPECT_GE(*p.value("checker_runs_total", {{"outcome", "failed"}}), 2) << text;
  EXPECT_GE(*p.value("checker_runs_total", {{"outcome", "ok"}}), 1);
  EXPECT_EQ(*p.value("checker_runs_total", {{"outcome", "crashed"}}), 0);
  double runs = 0;
  for (const PromSample& s : p.family("checker_runs_total")->samples) runs += s.value;
  EXPECT_EQ(p.value("checker_run_duration_seconds_count"), runs);
  EXPECT_GT(*p.value("checker_run_duration_seconds_sum"), 0);
  EXPECT_EQ(p.value("checker_worker_spawn_failures_total"), 0);
  EXPECT_EQ(p.value("checker_answer", {{"answer", "True"}}), 1);
  EXPECT_LT(*p.value("checker_supervisor_heartbeat_age_seconds"), 4);  // jobproblem_after
  EXPECT_EQ(p.value("checker_state_readable"), 1);
  EXPECT_EQ(p.value("checker_job_failing", {{"id", "exec:/bin/false"}, {"name", "broken backup"}}), 1);
  EXPECT_EQ(p.value("checker_job_failing", {{"id", "exec:/bin/true"}, {"name", "healthy web"}}), 0);
  EXPECT_GE(*p.value("checker_jobs", {{"state", "failing"}}), 1);
  EXPECT_TRUE(p.value("checker_outbox_pending")) << "a notice may be between queued and delivered: present, any value";
  EXPECT_EQ(p.value("checker_build_info", {{"version", CHECKER_VERSION}, {"server", "status-test"}}), 1);
  EXPECT_EQ(p.value("checker_peer_status", {{"peer", "backup"}, {"status", "healthy"}}), 0);
  for (const PromFamily& family : p.families) {
    EXPECT_FALSE(family.help.empty()) << family.name;
    EXPECT_FALSE(family.samples.empty()) << family.name;
  }
  int status = instance.daemon().stop(SIGTERM, 20s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(StatusEndpoints, ABrowserGetsThePagePeersTheWordByteForByte) {
  StatusInstance instance;
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(1)) << ::testing::PrintToString(instance.daemon().lines());
  std::string page = instance.getUntil("/", kBrowserAccept, [](const std::string& r) {
    return r.find("data-job=\"broken backup\"") != std::string::npos &&
           r.find("data-job=\"healthy web\"") != std::string::npos;
  });
  EXPECT_THAT(page, StartsWith("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"job failing\" data-job=\"broken backup\">"));
  EXPECT_THAT(page, HasSubstr("<tr class=\"job ok\" data-job=\"healthy web\">"));
  EXPECT_LT(page.find("data-job=\"broken backup\""), page.find("data-job=\"healthy web\""));
  EXPECT_THAT(page, HasSubstr("<h1>status-test</h1>"));
  EXPECT_THAT(page, HasSubstr("data-peer=\"backup\""));
  // The original's client, curl, and anything without text/html.
  EXPECT_EQ(instance.exchange(urllibRequest(instance.port())), kPlainTrue);
  for (const char* accept : {"", "*/*", "text/plain", "application/json"}) {
    EXPECT_EQ(instance.get("/", accept), kPlainTrue) << accept;
  }
  // A browser on another path gets the word too: only `/` is the page.
  EXPECT_EQ(StatusInstance::bodyOf(instance.get("/status", kBrowserAccept)), "True");
}

// The jobs database keeps a removed job's record (a job added back carries
// on from it): the page and /metrics show the jobs checkerd runs now, as it
// tells peerd after the reload.
TEST(StatusEndpoints, AJobRemovedByAReloadLeavesThePageAndTheMetrics) {
  StatusInstance instance;
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(1)) << ::testing::PrintToString(instance.daemon().lines());
  const std::map<std::string, std::string> broken{{"id", "exec:/bin/false"}, {"name", "broken backup"}};
  std::string before = instance.getUntil("/metrics", "", [&](const std::string& r) {
    return parsePrometheusText(StatusInstance::bodyOf(r)).value("checker_job_failing", broken) == 1.0;
  });
  ASSERT_EQ(parsePrometheusText(StatusInstance::bodyOf(before)).value("checker_job_failing", broken), 1) << before;
  ASSERT_TRUE(instance.reloadWithJobs("[job healthy web]\ntype = exec\ncommand = /bin/true\nevery = 1s\n"
                                      "[job nightly]\ntype = exec\ncommand = /bin/echo nightly\nevery = day\n"))
      << ::testing::PrintToString(instance.daemon().lines());
  // Until the removed job is gone and the healthy one has run (its first
  // result may be committed after the broken job's failure: a notice is
  // committed at once, not with the runs that finish beside it).
  std::string after = instance.getUntil("/metrics", "", [&](const std::string& r) {
    PromParse p = parsePrometheusText(StatusInstance::bodyOf(r));
    return p.ok && !p.value("checker_job_failing", broken) &&
           p.value("checker_job_failing", {{"id", "exec:/bin/true"}, {"name", "healthy web"}}).has_value();
  });
  PromParse p = parsePrometheusText(StatusInstance::bodyOf(after));
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_FALSE(p.value("checker_job_failing", broken)) << after;
  EXPECT_EQ(p.value("checker_job_failing", {{"id", "exec:/bin/true"}, {"name", "healthy web"}}), 0);
  EXPECT_GE(*p.value("checker_jobs", {{"state", "not_run"}}), 1) << "the daily job has not run";
  std::string page = instance.getUntil("/", "text/html", [](const std::string& r) {
    return r.find("data-job=\"broken backup\"") == std::string::npos;
  });
  EXPECT_THAT(page, Not(HasSubstr("broken backup")));
  EXPECT_THAT(page, HasSubstr("data-job=\"healthy web\""));
  EXPECT_THAT(page, ::testing::ContainsRegex("Not run yet \\([0-9]+\\): [^<]*nightly"));
}

TEST(StatusEndpoints, SwitchedOffThePageIsTheWordAndMetricsNotFound) {
  StatusInstance instance("status_page = no\nmetrics = no\n");
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(1));
  EXPECT_EQ(instance.get("/", kBrowserAccept), kPlainTrue);
  std::string metrics = instance.get("/metrics");
  EXPECT_THAT(metrics, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_EQ(StatusInstance::bodyOf(metrics), "Not Found\n");
  EXPECT_EQ(instance.exchange(urllibRequest(instance.port())), kPlainTrue);
  EXPECT_THAT(instance.get("/api/v1/jobs"), StartsWith("HTTP/1.1 404 Not Found\r\n")) << "the API follows the page";
}

// The JSON API of a running checkerd: its jobs with their last run and
// uptime, one job's history with the latency of each run, read while
// checkerd writes.
TEST(StatusEndpoints, TheJsonApiShowsTheJobsAndTheirHistory) {
  StatusInstance instance;
  ASSERT_TRUE(instance.start()) << ::testing::PrintToString(instance.daemon().lines());
  ASSERT_TRUE(instance.waitForFailures(2));
  std::string answer = instance.getUntil("/api/v1/jobs", "", [](const std::string& r) {
    return r.find("\"name\": \"healthy web\"") != std::string::npos && r.find("\"name\": \"broken backup\"") != std::string::npos;
  });
  ASSERT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"));
  nlohmann::json jobs = nlohmann::json::parse(StatusInstance::bodyOf(answer))["jobs"];
  nlohmann::json web, backup;
  for (const nlohmann::json& job : jobs) {
    if (job["name"] == "healthy web") web = job;
    if (job["name"] == "broken backup") backup = job;
  }
  ASSERT_FALSE(web.is_null()) << jobs.dump();
  EXPECT_EQ(web["state"], "ok");
  EXPECT_TRUE(web["last_run"]["latency_ms"].is_number()) << "an exec job's command time";
  EXPECT_GE(web["uptime"]["24h"]["runs"].get<int>(), 1);
  EXPECT_EQ(web["uptime"]["24h"]["ratio"], 1.0);
  EXPECT_EQ(backup["uptime"]["24h"]["ratio"], 0.0);

  std::string history = instance.get(web["links"]["history"].get<std::string>() + "?since=1h");
  ASSERT_THAT(history, StartsWith("HTTP/1.1 200 OK\r\n"));
  nlohmann::json h = nlohmann::json::parse(StatusInstance::bodyOf(history));
  ASSERT_GE(h["runs"].size(), 1u);
  EXPECT_EQ(h["runs"][0]["outcome"], "ok");
  EXPECT_GE(h["runs"][0]["latency_ms"].get<double>(), 0.0);
  EXPECT_EQ(h["hourly"].back()["failures"], 0);
}

}  // namespace
}  // namespace checker::test
