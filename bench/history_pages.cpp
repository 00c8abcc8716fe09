// checker-bench-pages [JOBS=1000] [DIR]: what the history costs the people
// and scripts who read it (issue 17): peerd's overview and a job's page,
// and the JSON API's 30 days of one job, over a state of JOBS jobs that
// ran once a minute for 30 days, as the defaults keep it: the last 1,500
// raw runs of each (a day and an hour), 30 days of hourly aggregates.
// The last 1,500 minutes go through StateWriter (the supervisor's writer);
// the hours before are written directly, 60 runs an hour, 1 % failing.
//
// Prints, for each read, its wall time (median of 7, after one warm-up)
// and the bytes it answers, beside the floor: an LMDB cursor walk over the
// same keys, values untouched, and a memcpy of the answer's bytes. Then
// what `[peerd] page_password` adds to a request: its check with the right
// password remembered, and a wrong one (a PBKDF2 at the default rounds).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/percent_encoding.h"
#include "peerd/history_api.h"
#include "peerd/job_page.h"
#include "peerd/page_guard.h"
#include "peerd/state_source.h"
#include "peerd/status_page.h"
#include "state/hourly_aggregate.h"
#include "state/state_keys.h"
#include "state/state_writer.h"

namespace checker::bench {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr int kRawMinutes = 1'500;

double medianMs(const std::function<size_t()>& read, size_t* bytes) {
  *bytes = read();  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < 7; ++i) {
    auto start = std::chrono::steady_clock::now();
    *bytes = read();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[3];
}

std::string jobId(int i) { return "http:https://service-" + std::to_string(i) + ".example.org/health"; }

void fill(const std::string& dir, int jobs, int64_t now) {
  std::mt19937 random(17);
  std::lognormal_distribution<double> latency(std::log(20'000.0), 0.4);
  StateStore store = StateStore::openForWriting(dir);
  {  // 30 days of hours before the raw window, written as the writer would have aggregated them
    int64_t rawFrom = now - kRawMinutes * kMinuteMs;
    WriteTransaction txn = store.beginWrite();
    for (int j = 0; j < jobs; ++j) {
      for (int64_t hour = hourStartMs(now - 30 * kDayMs); hour + kHourMs <= rawFrom; hour += kHourMs) {
        HourlyAggregate h;
        h.hourStartUnixMs = hour;
        for (int m = 0; m < 60; ++m) h.add(random() % 100 == 0, static_cast<int64_t>(latency(random)));
        txn.put(StateDb::hourly, state_keys::hourlyKey(jobId(j), hour), encodeHourly(h));
      }
    }
    txn.commit();
  }
  StateWriter writer(store);
  std::vector<ListedJob> listed;
  for (int j = 0; j < jobs; ++j) listed.push_back({jobId(j), "service " + std::to_string(j), "http", "service", "1m", false});
  writer.setJobList(listed);
  for (int m = kRawMinutes; m > 0; --m) {
    int64_t t = now - m * kMinuteMs;
    for (int j = 0; j < jobs; ++j) {
      bool ok = random() % 100 != 0;
      FinishedRun run;
      run.jobId = jobId(j);
      run.jobName = "service " + std::to_string(j);
      run.jobType = "http";
      run.startedUnixMs = t;
      run.durationMs = 25;
      run.outcome = ok ? ipc::Outcome::OK : ipc::Outcome::FAILED;
      run.message = ok ? run.jobId.substr(5) + " answered 200 in 21 ms" : run.jobId.substr(5) + ": timed out";
      run.measured.latencyUs = ok ? static_cast<int64_t>(latency(random)) : -1;
      run.record.policy.health = ok ? JobHealth::ok : JobHealth::failing;
      run.record.policy.firstFailureUnixMs = ok ? 0 : t;
      writer.add(std::move(run));
    }
    writer.flush(t + 1000);
    if (m % 300 == 0) std::fprintf(stderr, "  filled %d of %d minutes\n", kRawMinutes - m, kRawMinutes);
  }
}

// The floor of a read: a cursor walk over PREFIX's keys in DB, from FROM.
size_t walk(const StateReader& txn, StateDb db, const std::string& prefix, const std::string& from) {
  size_t bytes = 0;
  txn.forEachWithPrefixFrom(db, prefix, from, [&](std::string_view, std::string_view value) {
    bytes += value.size();
    return true;
  });
  return bytes;
}

// The page password's cost per request (peerd/page_guard.h), limits off.
void passwordCosts() {
  peerd::AttemptLimits unlimited;
  unlimited.perClient = 1 << 30;
  unlimited.checksBurst = 1 << 30;
  peerd::PageGuard guard(*hashPassword("s3cret"), false, "bench", unlimited);
  peerd::HttpRequest right, wrong;
  right.clientAddress = wrong.clientAddress = "127.0.0.1";
  right.authorization = "Bearer s3cret";
  wrong.authorization = "Bearer guess";
  int64_t clock = 0;
  size_t bytes = 0;
  double first = medianMs([&] { return guard.refusal(right, ++clock) ? 1u : 0u; }, &bytes);  // remembered after the warm-up
  double bad = medianMs([&] { return guard.refusal(wrong, ++clock) ? 1u : 0u; }, &bytes);
  std::printf("%-54s %8.4f ms\n", "page password: the right one, remembered", first);
  std::printf("%-54s %8.2f ms  (PBKDF2-SHA256, %u rounds)\n", "page password: a wrong one", bad,
              kPasswordHashIterations);
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker;
  using namespace checker::bench;
  int jobs = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::string base = argc > 2 ? argv[2] : (std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp");
  if (jobs < 1 || jobs > 100'000) {
    std::fprintf(stderr, "usage: checker-bench-pages [JOBS=1000] [DIR]\n");
    return 2;
  }
  log::setMinimumLevel(log::Level::error);
  std::string dir = base + "/checker-bench-pages-" + std::to_string(::getpid());
  int64_t now = hourStartMs(1'800'000'000'000) + 30 * kMinuteMs;
  auto filling = std::chrono::steady_clock::now();
  fill(dir, jobs, now);
  std::printf("checker-bench-pages: %d jobs, 30 days at one run a minute (1,500 raw runs and 30 days of hours each), "
              "LMDB %.0f MiB in %s, filled in %.0f s\n",
              jobs, static_cast<double>(std::filesystem::file_size(dir + "/data.mdb")) / (1 << 20), dir.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - filling).count());

  // One environment per path per process (LMDB): every read goes through peerd's own source.
  peerd::StateSource source(dir);
  auto beginRead = [&] {
    Result<ReadTransaction> txn = source.beginRead();
    if (!txn) {
      std::fprintf(stderr, "checker-bench-pages: %s\n", txn.error().c_str());
      std::exit(1);
    }
    return std::move(*txn);
  };
  std::vector<peerd::LiveJob> live;
  for (int j = 0; j < jobs; ++j) live.push_back({jobId(j), "service " + std::to_string(j)});
  Config config;
  size_t bytes = 0;
  auto line = [](const char* what, double ms, size_t size, double floorMs) {
    std::printf("%-54s %8.2f ms  %9zu bytes   floor %7.2f ms (%.0fx)\n", what, ms, size, floorMs, ms / floorMs);
  };

  double overview = medianMs([&] {
    peerd::StatusSnapshot s;
    s.serverName = "bench";
    s.nowUnixMs = now;
    s.answer = "True";
    source.read(config, &live, &s);
    if (!s.stateError.empty()) {
      std::fprintf(stderr, "checker-bench-pages: %s\n", s.stateError.c_str());
      std::exit(1);
    }
    return peerd::renderStatusPage(s).size();
  }, &bytes);
  size_t overviewBytes = bytes;
  double overviewFloor = medianMs([&] {
    ReadTransaction txn = beginRead();
    size_t read = 0;
    for (const peerd::LiveJob& job : live) {
      read += walk(txn, StateDb::hourly, state_keys::historyPrefix(job.id), state_keys::hourlyKey(job.id, hourStartMs(now - kDayMs)));
      int n = 0;
      txn.forEachWithPrefixBackward(StateDb::history, state_keys::historyPrefix(job.id), [&](std::string_view, std::string_view v) {
        read += v.size();
        return ++n < 30;
      });
      if (std::optional<std::string_view> state = txn.get(StateDb::jobs, job.id)) read += state->size();
    }
    return read;
  }, &bytes);
  line("overview (/): state read + page, every job", overview, overviewBytes, overviewFloor);

  for (auto [span, name] : {std::pair{peerd::ChartSpan::day, "job page, 24 h chart (each run)"},
                            {peerd::ChartSpan::week, "job page, 7 d chart (hourly medians)"},
                            {peerd::ChartSpan::month, "job page, 30 d chart (hourly medians)"}}) {
    double ms = medianMs([&] {
      ReadTransaction txn = beginRead();
      return peerd::renderJobPage(peerd::readJobPage(txn, jobId(jobs / 2), "service", span, now)).size();
    }, &bytes);
    size_t size = bytes;
    double floor = medianMs([&] {
      ReadTransaction txn = beginRead();
      std::string prefix = state_keys::historyPrefix(jobId(jobs / 2));
      return walk(txn, StateDb::hourly, prefix, state_keys::hourlyKey(jobId(jobs / 2), now - 30 * kDayMs)) +
             walk(txn, StateDb::history, prefix, state_keys::historyKey(jobId(jobs / 2), now - kDayMs));
    }, &bytes);
    line(name, ms, size, floor);
  }

  std::string history = "/api/v1/jobs/" + percentEncode(jobId(jobs / 2)) + "/history?since=30d";
  double api = medianMs([&] {
    ReadTransaction txn = beginRead();
    return peerd::answerApi(history, txn, live, now).body.size();
  }, &bytes);
  size_t apiBytes = bytes;
  double apiFloor = medianMs([&] {
    ReadTransaction txn = beginRead();
    std::string prefix = state_keys::historyPrefix(jobId(jobs / 2));
    return walk(txn, StateDb::hourly, prefix, state_keys::hourlyKey(jobId(jobs / 2), now - 30 * kDayMs)) +
           walk(txn, StateDb::history, prefix, state_keys::historyKey(jobId(jobs / 2), now - 30 * kDayMs));
  }, &bytes);
  line("API: one job's history, 30 d (runs + hours)", api, apiBytes, apiFloor);
  double jobsApi = medianMs([&] {
    ReadTransaction txn = beginRead();
    return peerd::answerApi("/api/v1/jobs", txn, live, now).body.size();
  }, &bytes);
  std::printf("%-54s %8.2f ms  %9zu bytes\n", "API: every job with uptime over 24 h, 7 d, 30 d", jobsApi, bytes);
  peerd::UptimeCache uptimes;  // as peerd keeps them: warmed by the first answer
  double jobsApiKept = medianMs([&] {
    ReadTransaction txn = beginRead();
    return peerd::answerApi("/api/v1/jobs", txn, live, now, &uptimes).body.size();
  }, &bytes);
  std::printf("%-54s %8.2f ms  %9zu bytes\n", "API: the same, uptimes kept (peerd: 1-2 min)", jobsApiKept, bytes);
  std::filesystem::remove_all(dir);
  passwordCosts();
  return 0;
}
