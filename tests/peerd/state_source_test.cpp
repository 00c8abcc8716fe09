// peerd's read of the state for the overview and /metrics
// (peerd/state_source.h) from a real LMDB a StateWriter filled with more
// jobs than the page lists: every job's uptime is read (/metrics has a
// series per job), the bar's runs only for the jobs the page lists, and the
// page still renders with the rest counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/config.h"
#include "peerd/state_source.h"
#include "peerd/status_page.h"
#include "state/hourly_aggregate.h"
#include "state/state_writer.h"
#include "support/temp_dir.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 497'300 * kHourMs;
constexpr size_t kHealthyBeyondTheCap = 20;
constexpr size_t kJobs = kMaxHealthyRows + kHealthyBeyondTheCap;
// Three failing jobs among the last ones, past the healthy cap: the page
// lists failing jobs whatever their place.
bool failingJob(size_t i) { return i >= kJobs - 3; }

std::string idOf(size_t i) {
  char id[32];
  std::snprintf(id, sizeof id, "tcp:h:%05zu", i);  // key order = index order
  return id;
}

void fill(const std::string& dir) {
  StateStore store = StateStore::openForWriting(dir);
  StateWriter writer(store);
  for (int round = 0; round < 2; ++round) {
    int64_t start = kNow - (2 - round) * 60'000;
    for (size_t i = 0; i < kJobs; ++i) {
      bool failing = failingJob(i);
      FinishedRun run;
      run.jobId = idOf(i);
      run.jobName = "job" + std::to_string(i);
      run.jobType = "tcp";
      run.startedUnixMs = start;
      run.durationMs = 5;
      run.outcome = failing ? ipc::Outcome::FAILED : ipc::Outcome::OK;
      run.message = failing ? "refused" : "connected";
      run.measured.latencyUs = failing ? -1 : 300;
      run.record.policy.health = failing ? JobHealth::failing : JobHealth::ok;
      run.record.policy.firstFailureUnixMs = failing ? kNow - 120'000 : 0;
      run.record.runs = static_cast<uint64_t>(round + 1);
      writer.add(std::move(run));
    }
    writer.flush(start + 100);
  }
}

TEST(StateSource, MoreJobsThanThePageListsReadsOnlyTheListedBars) {
  test::TempDir dir;
  fill(dir.file("state"));
  StateSource source(dir.file("state"));
  StatusSnapshot snapshot;
  snapshot.serverName = "many";
  snapshot.nowUnixMs = kNow;
  snapshot.answer = "True";
  source.read(Config{}, nullptr, &snapshot);
  ASSERT_EQ(snapshot.stateError, "");
  ASSERT_EQ(snapshot.jobs.size(), kJobs);

  size_t withBars = 0, barRuns = 0;
  for (size_t i = 0; i < kJobs; ++i) {
    const JobRecent& recent = snapshot.recent.at(idOf(i));
    EXPECT_EQ(recent.day.runs, 2u) << idOf(i) << ": every job's uptime, for /metrics";
    if (!recent.runs.empty()) ++withBars;
    barRuns += recent.runs.size();
    bool listed = i < kMaxHealthyRows || failingJob(i);
    EXPECT_EQ(recent.runs.size(), listed ? 2u : 0u) << idOf(i);
    // 7 and 30 days only for the listed (kept, peerd/uptime_cache.h).
    EXPECT_EQ(recent.week.has_value(), listed) << idOf(i);
    EXPECT_EQ(recent.month.has_value(), listed) << idOf(i);
    if (listed) {
      EXPECT_EQ(recent.month->runs, 2u) << idOf(i);
    }
  }
  // Bounded by the page's cap, not by the number of jobs.
  EXPECT_EQ(withBars, kMaxHealthyRows + 3);
  EXPECT_LE(barRuns, (kMaxHealthyRows + 3) * kRunsInTheBar);

  std::string page = renderStatusPage(snapshot);
  size_t rows = 0, bars = 0;
  for (size_t at = page.find("<tr class=\"job "); at != std::string::npos; at = page.find("<tr class=\"job ", at + 1)) {
    ++rows;
  }
  for (size_t at = page.find("class=\"run ok\""); at != std::string::npos; at = page.find("class=\"run ok\"", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(rows, kMaxHealthyRows + 3);
  EXPECT_EQ(bars, 2 * kMaxHealthyRows) << "each listed healthy job's bar has its two runs";
  EXPECT_THAT(page, HasSubstr(std::to_string(kHealthyBeyondTheCap - 3) + " more healthy jobs are not listed here"));
  EXPECT_THAT(page, HasSubstr("data-job=\"job" + std::to_string(kJobs - 1) + "\""));
  EXPECT_THAT(page, HasSubstr("<th class=\"num\">Up 24 h</th><th class=\"num wide\">7 d</th><th class=\"num wide\">30 d</th>"));
}

TEST(StatusPage, ListedOnPageIsEveryFailingJobAndTheFirstHealthyOnes) {
  std::vector<JobStatus> jobs(kMaxHealthyRows + 3);  // 0 failing, 501 healthy, the last unreadable
  jobs[0].health = ipc::Health::FAILING;
  jobs.back().unreadable = true;
  std::vector<bool> listed = listedOnPage(jobs);
  ASSERT_EQ(listed.size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(listed[i], i <= kMaxHealthyRows || i == jobs.size() - 1) << i;
  }
}

}  // namespace
}  // namespace checker::peerd
