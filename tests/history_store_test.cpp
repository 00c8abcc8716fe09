// A job's history in a real LMDB (state/run_history.h, history_view.h,
// schema_upgrade.h): retention by count and by age, aggregates under clock
// steps, incidents, a restart, and the upgrade of a schema 1 store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <lmdb.h>

#include <string>
#include <vector>

#include "state/history_view.h"
#include "state/run_history.h"
#include "state/state_keys.h"
#include "state/state_writer.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kT0 = 497'222 * kHourMs;  // 2026-09-21 22:00 UTC

FinishedRun runOf(const std::string& jobId, int64_t start, bool ok, PolicyState after = {}) {
  FinishedRun run;
  run.jobId = jobId;
  run.jobName = jobId;
  run.jobType = "tcp";
  run.startedUnixMs = start;
  run.durationMs = 100;
  run.outcome = ok ? ipc::Outcome::OK : ipc::Outcome::FAILED;
  run.message = ok ? "" : "refused at " + std::to_string(start);
  run.measured.latencyUs = ok ? 1000 + (start / kMinuteMs) % 100 : -1;
  if (after.health == JobHealth::neverRun) after.health = ok ? JobHealth::ok : JobHealth::failing;
  if (after.health == JobHealth::failing && after.firstFailureUnixMs == 0) after.firstFailureUnixMs = start;
  run.record.policy = after;
  return run;
}

// One run a minute from FIRST for COUNT minutes, flushed every 10 runs.
void writeMinutes(StateWriter& writer, const std::string& jobId, int64_t first, int count) {
  for (int i = 0; i < count; ++i) {
    int64_t start = first + i * kMinuteMs;
    writer.add(runOf(jobId, start, true));
    if (i % 10 == 9 || i == count - 1) writer.flush(start + 1000);
  }
}

std::vector<HistoryRun> allRuns(const StateStore& store, const std::string& jobId) {
  ReadTransaction txn = store.beginRead();
  return readRuns(txn, jobId, 0, INT64_MAX);
}

uint32_t indexedRuns(const StateStore& store, const std::string& jobId) {
  ReadTransaction txn = store.beginRead();
  return readHistoryIndex(txn, jobId).runs;
}

TEST(HistoryStore, TheDefaultKeepsADayOfOneMinuteRuns) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);  // default retention, as checkerd without [general] history_*
  writeMinutes(writer, "tcp:a", kT0, 24 * 60);
  EXPECT_EQ(allRuns(store, "tcp:a").size(), 24u * 60);
}

// The newest runs are read from the end of the job's keys, newest last;
// another job's keys (before and after it) are never among them.
TEST(HistoryStore, TheLatestRunsAreTheNewestOfTheJobAlone) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writeMinutes(writer, "tcp:a", kT0, 5);
  writeMinutes(writer, "tcp:b", kT0, 30);
  writeMinutes(writer, "tcp:c", kT0, 3);
  ReadTransaction txn = store.beginRead();
  std::vector<HistoryRun> latest = readLatestRuns(txn, "tcp:b", 4);
  ASSERT_EQ(latest.size(), 4u);
  EXPECT_EQ(latest.front().startedUnixMs, kT0 + 26 * kMinuteMs);
  EXPECT_EQ(latest.back().startedUnixMs, kT0 + 29 * kMinuteMs);
  EXPECT_EQ(readLatestRuns(txn, "tcp:a", 100).size(), 5u);
  EXPECT_EQ(readLatestRuns(txn, "tcp:c", 2).back().startedUnixMs, kT0 + 2 * kMinuteMs);
  EXPECT_TRUE(readLatestRuns(txn, "tcp:", 10).empty()) << "a prefix of another id is no job";
  EXPECT_TRUE(readLatestRuns(txn, "tcp:z", 10).empty());
}

TEST(HistoryStore, RawRunsAreKeptByCountAcrossRestarts) {
  test::TempDir dir;
  {
    StateStore store = StateStore::openForWriting(dir.file("state"));
    StateWriter writer(store);
    writer.setRetention({100, 7, 90});
    writeMinutes(writer, "tcp:a", kT0, 250);
    writeMinutes(writer, "tcp:b", kT0, 30);
    std::vector<HistoryRun> runs = allRuns(store, "tcp:a");
    ASSERT_EQ(runs.size(), 100u);
    EXPECT_EQ(runs.front().startedUnixMs, kT0 + 150 * kMinuteMs);
    EXPECT_EQ(indexedRuns(store, "tcp:a"), 100u);
  }
  StateStore store = StateStore::openForWriting(dir.file("state"));  // a restart
  StateWriter writer(store);
  writer.setRetention({100, 7, 90});
  writeMinutes(writer, "tcp:a", kT0 + 250 * kMinuteMs, 5);
  std::vector<HistoryRun> runs = allRuns(store, "tcp:a");
  ASSERT_EQ(runs.size(), 100u);
  EXPECT_EQ(runs.front().startedUnixMs, kT0 + 155 * kMinuteMs);
  EXPECT_EQ(runs.back().startedUnixMs, kT0 + 254 * kMinuteMs);
  EXPECT_EQ(allRuns(store, "tcp:b").size(), 30u);
  EXPECT_EQ(indexedRuns(store, "tcp:b"), 30u);
  writer.setRetention({20, 7, 90});  // a reload lowered it: trimmed at the job's next run
  writeMinutes(writer, "tcp:b", kT0 + 30 * kMinuteMs, 1);
  EXPECT_EQ(allRuns(store, "tcp:b").size(), 20u);
  EXPECT_EQ(indexedRuns(store, "tcp:b"), 20u);
}

TEST(HistoryStore, RawRunsAreKeptByAge) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.setRetention({100'000, 1, 90});
  for (int64_t t = kT0; t < kT0 + 3 * kDayMs; t += 10 * kMinuteMs) {
    writer.add(runOf("tcp:a", t, true));
    if (t % kHourMs == 50 * kMinuteMs) writer.flush(t);  // a batch an hour
  }
  std::vector<HistoryRun> runs = allRuns(store, "tcp:a");
  const int64_t last = runs.back().startedUnixMs;
  EXPECT_EQ(runs.front().startedUnixMs, last - kDayMs);  // exactly a day: the cutoff is inclusive
  EXPECT_EQ(runs.size(), 24u * 6 + 1);
  EXPECT_EQ(indexedRuns(store, "tcp:a"), runs.size());
  ReadTransaction txn = store.beginRead();
  EXPECT_EQ(readHourly(txn, "tcp:a", 0, INT64_MAX).size(), 72u);  // aggregates outlive raw runs
  EXPECT_EQ(readRuns(txn, "tcp:a", last - kHourMs, last).size(), 6u);  // [since, until)
  EXPECT_EQ(readRuns(txn, "tcp:a", 0, INT64_MAX, 3).size(), 3u);
}

TEST(HistoryStore, HourlyAggregatesAreKeptByAge) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.setRetention({10, 1, 2});  // two days of hours
  int64_t last = 0;
  for (int64_t t = kT0; t < kT0 + 5 * kDayMs; t += kHourMs) {
    writer.add(runOf("tcp:a", t, true));
    writer.flush(last = t);
  }
  ReadTransaction txn = store.beginRead();
  std::vector<HourlyAggregate> hours = readHourly(txn, "tcp:a", 0, INT64_MAX);
  ASSERT_EQ(hours.size(), 49u);  // 48 h back from the last run's hour, which is still going on
  EXPECT_EQ(hours.front().hourStartUnixMs, last - 2 * kDayMs);
  EXPECT_EQ(hours.back().hourStartUnixMs, last);
}

TEST(HistoryStore, AClockStepBackLandsInItsOwnHoursBucket) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  const int64_t ten = kT0 + 10 * kHourMs;
  writer.add(runOf("tcp:a", ten + 30 * kMinuteMs, true));   // 10:30
  writer.add(runOf("tcp:a", ten + 70 * kMinuteMs, false));  // 11:10
  writer.flush(ten + 71 * kMinuteMs);
  writer.add(runOf("tcp:a", ten + 50 * kMinuteMs, false));  // the clock stepped back: 10:50
  writer.flush(ten + 51 * kMinuteMs);
  writer.add(runOf("tcp:a", ten - 2 * kHourMs, true));      // and further: 08:00, an hour of its own
  writer.flush(ten - 2 * kHourMs);
  ReadTransaction txn = store.beginRead();
  std::vector<HourlyAggregate> hours = readHourly(txn, "tcp:a", ten - 3 * kHourMs, ten + 2 * kHourMs);
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours[0].hourStartUnixMs, ten - 2 * kHourMs);
  EXPECT_EQ(hours[0].runs, 1u);
  EXPECT_EQ(hours[1].hourStartUnixMs, ten);
  EXPECT_EQ(hours[1].runs, 2u);
  EXPECT_EQ(hours[1].failures, 1u);
  EXPECT_EQ(hours[2].hourStartUnixMs, ten + kHourMs);
  EXPECT_EQ(hours[2].runs, 1u);  // untouched by the step back
  EXPECT_EQ(hours[2].failures, 1u);
  Uptime up = readUptime(txn, "tcp:a", ten, ten + 2 * kHourMs);
  EXPECT_EQ(up.runs, 3u);
  EXPECT_DOUBLE_EQ(*up.ratio(), 1.0 / 3);
  EXPECT_FALSE(readUptime(txn, "tcp:other", 0, INT64_MAX).ratio().has_value());
  EXPECT_EQ(allRuns(store, "tcp:a").size(), 4u);
}

// The incident follows the policy's state that the writer is given, and an
// open one is closed after a restart.
TEST(HistoryStore, IncidentsFollowThePolicyAcrossARestart) {
  test::TempDir dir;
  PolicyState failing;
  failing.health = JobHealth::failing;
  failing.firstFailureUnixMs = kT0 + kMinuteMs;
  {
    StateStore store = StateStore::openForWriting(dir.file("state"));
    StateWriter writer(store);
    writer.add(runOf("tcp:a", kT0, true));
    writer.add(runOf("tcp:a", kT0 + kMinuteMs, false, failing));
    FinishedRun noticed = runOf("tcp:a", kT0 + 2 * kMinuteMs, false, failing);
    noticed.notices.push_back(OutboxMail{});
    writer.add(noticed);
    writer.add(runOf("tcp:a", kT0 + 3 * kMinuteMs, true, failing));  // a success, still failing
    writer.flush(kT0 + 4 * kMinuteMs);
    ReadTransaction txn = store.beginRead();
    std::vector<JobIncident> open = readIncidents(txn, "tcp:a", 0, INT64_MAX);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_TRUE(open[0].incident.open());
    EXPECT_EQ(open[0].incident.failures, 2u);
  }
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.add(runOf("tcp:a", kT0 + 4 * kMinuteMs, true));  // the policy says ok: recovered
  writer.add(runOf("tcp:b", kT0 + 4 * kMinuteMs, false));  // another job's
  writer.flush(kT0 + 5 * kMinuteMs);
  ReadTransaction txn = store.beginRead();
  std::vector<JobIncident> incidents = readIncidents(txn, "tcp:a", 0, INT64_MAX);
  ASSERT_EQ(incidents.size(), 1u);
  const Incident& i = incidents[0].incident;
  EXPECT_EQ(i.startUnixMs, kT0 + kMinuteMs);
  EXPECT_EQ(i.endUnixMs, kT0 + 4 * kMinuteMs + 100);
  EXPECT_EQ(i.notices, 1u);
  EXPECT_EQ(i.firstMessage, "refused at " + std::to_string(kT0 + kMinuteMs));
  EXPECT_EQ(i.lastMessage, "refused at " + std::to_string(kT0 + 2 * kMinuteMs));
  EXPECT_EQ(readAllIncidents(txn, 0, INT64_MAX).size(), 2u);
  EXPECT_TRUE(readAllIncidents(txn, kT0 + 5 * kMinuteMs, INT64_MAX).size() == 1u);  // only the open one of tcp:b
  EXPECT_TRUE(readIncidents(txn, "tcp:a", 0, kT0 + kMinuteMs).empty());            // before it began
  EXPECT_EQ(readHistoryIndex(txn, "tcp:a").openIncidentUnixMs, 0);
}

TEST(HistoryStore, ClosedIncidentsAreDroppedWithTheAggregates) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  StateWriter writer(store);
  writer.setRetention({10, 1, 1});
  writer.add(runOf("tcp:a", kT0, false));
  writer.add(runOf("tcp:a", kT0 + kMinuteMs, true));
  writer.flush(kT0 + kMinuteMs);
  writer.add(runOf("tcp:a", kT0 + 2 * kDayMs, true));
  writer.flush(kT0 + 2 * kDayMs);
  ReadTransaction txn = store.beginRead();
  EXPECT_TRUE(readIncidents(txn, "tcp:a", 0, INT64_MAX).empty());
  EXPECT_EQ(readHourly(txn, "tcp:a", 0, INT64_MAX).size(), 1u);
}

// Incidents in a range: those that overlap it, including one that began
// before it and one still open; of two jobs, each job's.
TEST(HistoryStore, IncidentsAreReadByOverlapWithTheRange) {
  test::TempDir dir;
  StateStore store = StateStore::openForWriting(dir.file("state"));
  auto incident = [](int64_t start, int64_t end) {
    Incident i;
    i.startUnixMs = start;
    i.endUnixMs = end;
    return i;
  };
  {
    WriteTransaction txn = store.beginWrite();
    for (const Incident& i : {incident(100, 200), incident(300, 600), incident(700, 800), incident(900, 1000),
                              incident(1100, 0)}) {
      txn.put(StateDb::incidents, state_keys::incidentKey("tcp:a", i.startUnixMs), encodeIncident(i));
    }
    txn.put(StateDb::incidents, state_keys::incidentKey("tcp:b", 50), encodeIncident(incident(50, 0)));
    txn.put(StateDb::incidents, state_keys::incidentKey("tcp:c", 10), encodeIncident(incident(10, 20)));
    txn.commit();
  }
  ReadTransaction txn = store.beginRead();
  auto starts = [](const std::vector<JobIncident>& incidents) {
    std::vector<std::string> out;
    for (const JobIncident& i : incidents) out.push_back(i.jobId + "@" + std::to_string(i.incident.startUnixMs));
    return out;
  };
  EXPECT_THAT(starts(readIncidents(txn, "tcp:a", 500, 900)), ::testing::ElementsAre("tcp:a@300", "tcp:a@700"));
  EXPECT_THAT(starts(readIncidents(txn, "tcp:a", 1500, 2000)), ::testing::ElementsAre("tcp:a@1100"));
  EXPECT_THAT(starts(readIncidents(txn, "tcp:a", 0, 100)), ::testing::ElementsAre());
  EXPECT_THAT(starts(readAllIncidents(txn, 150, 350)),
              ::testing::ElementsAre("tcp:a@100", "tcp:a@300", "tcp:b@50"));
}

// A schema 1 store: the databases schema 2 added are dropped and the
// version set back, as checker before issue 17 left it.
void makeSchema1(const std::string& dir, bool setVersion1 = true) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 16);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0640), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  for (const char* name : {"hourly", "incidents", "history_index"}) {
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, name, 0, &dbi), 0);
    ASSERT_EQ(mdb_drop(txn, dbi, 1), 0);
  }
  MDB_dbi meta = 0;
  ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
  MDB_val key{14, const_cast<char*>("schema_version")};
  MDB_val value{1, const_cast<char*>("1")};
  if (setVersion1) {
    ASSERT_EQ(mdb_put(txn, meta, &key, &value, 0), 0);
  }
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(HistoryStore, ASchema1StoreIsReadAndUpgradedKeepingItsData) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  PolicyState failing;
  failing.health = JobHealth::failing;
  failing.firstFailureUnixMs = kT0 + 5 * kMinuteMs;
  failing.consecutiveFailures = 3;
  {
    StateStore store = StateStore::openForWriting(path);
    StateWriter writer(store);
    writeMinutes(writer, "tcp:a", kT0, 40);
    writer.add(runOf("tcp:b", kT0 + 5 * kMinuteMs, false, failing));
    writer.flush(kT0 + 6 * kMinuteMs);
  }
  makeSchema1(path);
  {
    StateStore reader = StateStore::openReadOnly(path);  // the new CLI before checkerd restarted
    EXPECT_EQ(reader.schemaVersion(), 1u);
    ReadTransaction txn = reader.beginRead();
    EXPECT_EQ(readRuns(txn, "tcp:a", 0, INT64_MAX).size(), 40u);
    EXPECT_TRUE(readHourly(txn, "tcp:a", 0, INT64_MAX).empty());
  }
  StateStore store = StateStore::openForWriting(path);
  EXPECT_EQ(store.schemaVersion(), 2u);
  {
    ReadTransaction txn = store.beginRead();
    EXPECT_EQ(*txn.get(StateDb::meta, state_keys::kSchemaVersion), "2");
    EXPECT_EQ(readRuns(txn, "tcp:a", 0, INT64_MAX).size(), 40u);
    EXPECT_EQ(readHistoryIndex(txn, "tcp:a").runs, 40u);
    std::vector<HourlyAggregate> hours = readHourly(txn, "tcp:a", 0, INT64_MAX);
    ASSERT_EQ(hours.size(), 1u);
    EXPECT_EQ(hours[0].runs, 40u);
    std::vector<JobIncident> open = readIncidents(txn, "tcp:b", 0, INT64_MAX);
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].incident.startUnixMs, kT0 + 5 * kMinuteMs);
    EXPECT_EQ(open[0].incident.failures, 3u);
  }
  StateWriter writer(store);
  writer.setRetention({30, 7, 90});
  writeMinutes(writer, "tcp:a", kT0 + 40 * kMinuteMs, 1);
  writer.add(runOf("tcp:b", kT0 + 10 * kMinuteMs, true));
  writer.flush(kT0 + 11 * kMinuteMs);
  EXPECT_EQ(allRuns(store, "tcp:a").size(), 30u);
  ReadTransaction txn = store.beginRead();
  std::vector<JobIncident> closed = readIncidents(txn, "tcp:b", 0, INT64_MAX);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].incident.endUnixMs, kT0 + 10 * kMinuteMs + 100);
}

// Only a store older than the database may lack it: a schema 2 store
// without `hourly` is damaged, and a reader says so.
TEST(HistoryStore, ASchema2StoreWithoutItsDatabasesIsRefusedByReaders) {
  test::TempDir dir;
  const std::string path = dir.file("state");
  { StateStore::openForWriting(path); }
  makeSchema1(path, /*setVersion1=*/false);
  try {
    StateStore::openReadOnly(path);
    ADD_FAILURE() << "opened";
  } catch (const StateError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("has no database 'hourly': not a checker state, or damaged"));
  }
}

}  // namespace
}  // namespace checker
