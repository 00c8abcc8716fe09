// `checker history`: the sparkline and latency columns (cli/history_output.h),
// then the real checker command on a state a StateWriter filled (two hours
// of one run a minute, ten of them failing in one incident): its text and
// its JSON, and the errors it gives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/history_output.h"
#include "common/clock.h"
#include "state/state_writer.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;
constexpr int64_t kMinuteMs = 60'000;

TEST(HistoryOutput, ASparklineScalesToItsHighestValue) {
  EXPECT_EQ(cli::sparkline({1, 2, 4, 8, -1, 8}, true), "\u2581\u2582\u2584\u2588 \u2588");
  EXPECT_EQ(cli::sparkline({0.1, 8, -1}, false), ".# ");
  EXPECT_EQ(cli::sparkline({-1, -1}, true), "  ");
}

TEST(HistoryOutput, LatencyColumnsKeepTheHighestOfEachSlice) {
  cli::JobHistory job;
  for (int i = 0; i < 60; ++i) {
    HistoryRun run;
    run.startedUnixMs = 1'000'000 + i * kMinuteMs;
    run.measured.latencyUs = i == 7 ? 90'000 : 1'000;
    job.runs.push_back(run);
  }
  job.runs[20].measured.latencyUs = -1;
  std::vector<double> columns = cli::latencyColumns(job, 1'000'000, 1'000'000 + 60 * kMinuteMs, 6);
  ASSERT_EQ(columns.size(), 6u);
  EXPECT_EQ(columns[0], 90.0);
  EXPECT_EQ(columns[1], 1.0);
  EXPECT_EQ(cli::latencyColumns(job, 0, 1'000'000, 3), std::vector<double>({-1, -1, -1})) << "before any run";
}

class HistoryCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("settings.cfg", "[general]\nservername = h\nalertcontact = a@example.org\nstatefile = " +
                                             dir_.file("state") + "\n[email]\nnomail = yes\n[peerd]\nlisten = 127.0.0.1:0\n"
                                             "[job web]\ntype = tcp\ntarget = 127.0.0.1:1\nevery = 1m\n");
    StateStore store = StateStore::openForWriting(dir_.file("state"));
    StateWriter writer(store);
    int64_t first = wallClockNowMs() - 120 * kMinuteMs;
    for (int i = 0; i < 120; ++i) {
      bool ok = i < 50 || i >= 60;
      FinishedRun run;
      run.jobId = "tcp:127.0.0.1:1";
      run.jobName = "web";
      run.jobType = "tcp";
      run.startedUnixMs = first + i * kMinuteMs;
      run.durationMs = 3;
      run.outcome = ok ? ipc::Outcome::OK : ipc::Outcome::FAILED;
      run.message = ok ? "connected to 127.0.0.1:1 (127.0.0.1) in 0.2 ms" : "could not connect: refused";
      run.measured.latencyUs = ok ? 200 + i : -1;
      run.record.policy.health = ok ? JobHealth::ok : JobHealth::failing;
      run.record.policy.firstFailureUnixMs = ok ? 0 : first + 50 * kMinuteMs;
      writer.add(std::move(run));
      writer.flush(first + i * kMinuteMs + 100);
    }
  }

  test::CommandResult history(const std::string& args) {
    return test::runCommand(kBin + "/checker history -c " + config_ + " " + args);
  }

  test::TempDir dir_;
  std::string config_;
};

TEST_F(HistoryCommand, JsonHasTheRunsTheUptimeAndTheIncident) {
  test::CommandResult r = history("web --since 3h --json");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  nlohmann::json doc = nlohmann::json::parse(r.output);
  ASSERT_EQ(doc["jobs"].size(), 1u);
  const nlohmann::json& web = doc["jobs"][0];
  EXPECT_EQ(web["id"], "tcp:127.0.0.1:1");
  EXPECT_EQ(web["uptime"]["runs"], 120);
  EXPECT_EQ(web["uptime"]["failures"], 10);
  EXPECT_EQ(web["runs"].size(), 120u);
  EXPECT_EQ(web["runs"][0]["latency_ms"], 0.2);
  EXPECT_EQ(web["runs"][55]["latency_ms"], nullptr);
  ASSERT_EQ(web["incidents"].size(), 1u);
  EXPECT_EQ(web["incidents"][0]["failures"], 10);
  EXPECT_EQ(web["incidents"][0]["open"], false);
}

TEST_F(HistoryCommand, TextShowsUptimeLatencyIncidentsAndTheLatestRuns) {
  test::CommandResult r = history("web --since 3h --runs 3");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("uptime 91.67 % (120 runs, 10 failed)")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("latency min 0.20 ms"));
  EXPECT_THAT(r.output, HasSubstr("10 min, 10 failed runs, no notice: could not connect: refused"));
  EXPECT_THAT(r.output, HasSubstr("last runs:"));
  size_t runs = 0;
  for (size_t at = r.output.find("  ok  "); at != std::string::npos; at = r.output.find("  ok  ", at + 1)) ++runs;
  EXPECT_EQ(runs, 3u) << r.output;
}

TEST_F(HistoryCommand, AnUnknownJobOrABadSinceIsAUsageError) {
  test::CommandResult unknown = history("nope");
  EXPECT_EQ(unknown.exitCode, 2);
  EXPECT_THAT(unknown.output, HasSubstr("no job named 'nope'"));
  test::CommandResult since = history("web --since soon");
  EXPECT_EQ(since.exitCode, 2);
  EXPECT_THAT(since.output, HasSubstr("--since 'soon'"));
}

}  // namespace
}  // namespace checker
