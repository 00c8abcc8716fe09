// peerd's /api/v1 (peerd/history_api.h) over a real LMDB that a
// StateWriter filled: the jobs with their uptime, one job, its history in
// a range, every incident; and each kind of bad request, answered with a
// JSON error naming what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/percent_encoding.h"
#include "peerd/history_api.h"
#include "state/hourly_aggregate.h"
#include "state/state_writer.h"
#include "support/temp_dir.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kNow = 497'300 * kHourMs;  // 2026-09-25 04:00 UTC
const std::string kWeb = "http:http://127.0.0.1:8080/a b?x=1";
const std::string kDb = "tcp:127.0.0.1:5432";

FinishedRun runOf(const std::string& id, const std::string& name, int64_t start, bool ok, int64_t failingSince) {
  FinishedRun run;
  run.jobId = id;
  run.jobName = name;
  run.jobType = id.substr(0, id.find(':'));
  run.startedUnixMs = start;
  run.durationMs = 40;
  run.outcome = ok ? ipc::Outcome::OK : ipc::Outcome::FAILED;
  run.message = ok ? "answered" : "refused";
  run.measured.latencyUs = ok ? 2500 : -1;
  if (ok) run.measured.named.push_back({"first_byte", 1.5, "ms", "", "", "", ""});
  run.record.policy.health = failingSince > 0 ? JobHealth::failing : JobHealth::ok;
  run.record.policy.firstFailureUnixMs = failingSince;
  ++run.record.runs;
  return run;
}

class HistoryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StateStore store = StateStore::openForWriting(dir_.file("state"));
    StateWriter writer(store);
    // Two hours of one run a minute: web fails for 10 minutes an hour ago; db is always up.
    int64_t first = kNow - 120 * kMinuteMs;
    for (int i = 0; i < 120; ++i) {
      int64_t t = first + i * kMinuteMs;
      bool webOk = i < 50 || i >= 60;
      writer.add(runOf(kWeb, "web", t, webOk, webOk ? 0 : first + 50 * kMinuteMs));
      writer.add(runOf(kDb, "db", t, true, 0));
      writer.flush(t + 1000);
    }
  }

  json get(const std::string& url, int expectStatus = 200) {
    StateStore store = StateStore::openReadOnly(dir_.file("state"));
    ReadTransaction txn = store.beginRead();
    HttpResponse answer = answerApi(url, txn, {{kWeb, "web"}, {kDb, "db"}}, kNow);
    EXPECT_EQ(answer.status, expectStatus) << url << ": " << answer.body;
    EXPECT_EQ(answer.contentType, "application/json");
    return json::parse(answer.body);
  }

  test::TempDir dir_;
};

// The job list's uptime windows come from a cache that keeps them one to
// two minutes (peerd/uptime_cache.h): the same figures as read now, read
// again only once stale, after the clock went back, or for a job it has
// not seen; a job no longer listed is forgotten.
TEST_F(HistoryApiTest, TheJobListsUptimesAreKeptAMinuteOrTwoAndMatchThoseReadNow) {
  StateStore store = StateStore::openReadOnly(dir_.file("state"));
  ReadTransaction txn = store.beginRead();
  std::vector<LiveJob> both{{kWeb, "web"}, {kDb, "db"}};
  UptimeCache cache;
  auto list = [&](const std::vector<LiveJob>& jobs, int64_t at) {
    return json::parse(answerApi("/api/v1/jobs", txn, jobs, at, &cache).body);
  };
  json cached = list(both, kNow);
  EXPECT_EQ(cache.reads(), 2u);
  EXPECT_EQ(cached, json::parse(answerApi("/api/v1/jobs", txn, both, kNow).body)) << "the same as uncached";
  list(both, kNow + 59'000);
  EXPECT_EQ(cache.reads(), 2u) << "fresh for at least a minute";
  list(both, kNow + 120'001);
  EXPECT_EQ(cache.reads(), 4u) << "stale after at most two minutes";
  list(both, kNow);
  EXPECT_EQ(cache.reads(), 6u) << "the clock went back: read again";
  list({{kDb, "db"}}, kNow);
  EXPECT_EQ(cache.size(), 1u) << "web is no longer listed";
  // One job's own answer is never from the cache.
  size_t before = cache.reads();
  json one = json::parse(answerApi("/api/v1/jobs/" + percentEncode(kWeb), txn, both, kNow, &cache).body);
  EXPECT_EQ(cache.reads(), before);
  EXPECT_EQ(one["uptime"]["24h"]["failures"], 10);
}

TEST_F(HistoryApiTest, TheJobsWithTheirStateLatencyAndUptime) {
  json jobs = get("/api/v1/jobs")["jobs"];
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0]["id"], kWeb);
  EXPECT_EQ(jobs[0]["name"], "web");
  EXPECT_EQ(jobs[0]["state"], "ok");
  EXPECT_EQ(jobs[0]["last_run"]["latency_ms"], 2.5);
  EXPECT_EQ(jobs[0]["uptime"]["24h"]["runs"], 120);
  EXPECT_EQ(jobs[0]["uptime"]["24h"]["failures"], 10);
  EXPECT_NEAR(jobs[0]["uptime"]["7d"]["ratio"].get<double>(), 110.0 / 120.0, 1e-9);
  EXPECT_EQ(jobs[1]["uptime"]["30d"]["ratio"], 1.0);
  EXPECT_EQ(jobs[0]["links"]["self"], "/api/v1/jobs/http%3Ahttp%3A%2F%2F127.0.0.1%3A8080%2Fa%20b%3Fx%3D1");
}

TEST_F(HistoryApiTest, OneJobByItsEncodedIdWithItsIncidents) {
  json web = get("/api/v1/jobs/" + percentEncode(kWeb));
  EXPECT_EQ(web["id"], kWeb);
  ASSERT_EQ(web["incidents"].size(), 1u);
  EXPECT_EQ(web["incidents"][0]["open"], false);
  EXPECT_EQ(web["incidents"][0]["failures"], 10);
  EXPECT_EQ(web["incidents"][0]["first_message"], "refused");
}

TEST_F(HistoryApiTest, AJobsHistoryInARange) {
  json h = get("/api/v1/jobs/" + percentEncode(kWeb) + "/history?since=30m");
  EXPECT_EQ(h["since_unix_ms"], kNow - 30 * kMinuteMs);
  EXPECT_EQ(h["runs"].size(), 30u);
  EXPECT_EQ(h["runs_truncated"], false);
  EXPECT_EQ(h["runs"][0]["outcome"], "ok");
  EXPECT_EQ(h["runs"][0]["latency_ms"], 2.5);
  EXPECT_EQ(h["runs"][0]["measurements"][0]["name"], "first_byte");
  EXPECT_EQ(h["hourly"].size(), 1u) << "the last half hour is in one UTC hour";
  EXPECT_TRUE(h["incidents"].empty()) << "the incident ended before the range";

  json all = get("/api/v1/jobs/" + percentEncode(kWeb) + "/history?since=" + std::to_string(kNow - 2 * kHourMs) +
                 "&until=" + std::to_string(kNow));
  EXPECT_EQ(all["runs"].size(), 120u);
  EXPECT_EQ(all["hourly"].size(), 2u);
  EXPECT_EQ(all["hourly"][0]["failures"], 10);
  EXPECT_EQ(all["hourly"][0]["latency_ms"]["max"], 2.5);
  EXPECT_EQ(all["runs"][55]["latency_ms"], nullptr) << "a failed run measured nothing";
  EXPECT_EQ(all["incidents"].size(), 1u);
}

TEST_F(HistoryApiTest, EveryJobsIncidents) {
  json i = get("/api/v1/incidents?since=1d");
  ASSERT_EQ(i["incidents"].size(), 1u);
  EXPECT_EQ(i["incidents"][0]["job_id"], kWeb);
  EXPECT_EQ(i["incidents"][0]["duration_ms"], 10 * kMinuteMs + 40);
}

TEST_F(HistoryApiTest, BadRequestsSayWhatIsWrong) {
  EXPECT_THAT(get("/api/v1/jobs/tcp%3", 400)["error"].get<std::string>(), HasSubstr("percent-encoded"));
  EXPECT_THAT(get("/api/v1/jobs/tcp%3Anope", 404)["error"].get<std::string>(), HasSubstr("no job with id 'tcp:nope'"));
  EXPECT_THAT(get("/api/v1/jobs/" + percentEncode(kDb) + "/history?since=yesterday", 400)["error"].get<std::string>(),
              HasSubstr("since 'yesterday'"));
  EXPECT_THAT(get("/api/v1/incidents?since=1h&until=2h", 400)["error"].get<std::string>(), HasSubstr("after since"));
  EXPECT_THAT(get("/api/v1/incidents?since=500d", 400)["error"].get<std::string>(), HasSubstr("400 days"));
  EXPECT_THAT(get("/api/v1/incidents?since=-9223372036854775808", 400)["error"].get<std::string>(),
              HasSubstr("not a time")) << "no overflow in the range's arithmetic";
  EXPECT_THAT(get("/api/v1/incidents?since=0&until=9223372036854775807", 400)["error"].get<std::string>(),
              HasSubstr("not a time"));
  get("/api/v1/jobs/" + percentEncode(kDb) + "/runs", 404);
  get("/api/v1/nothing", 404);
}

}  // namespace
}  // namespace checker::peerd
