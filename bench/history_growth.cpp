// checker-bench-history [JOBS=50] [DAYS=10] [DIR]: how much LMDB space a
// job's history takes per day at one run a minute, and what writing it
// costs (issue 17, part 2). JOBS jobs run once a minute for DAYS simulated
// days through StateWriter (the supervisor's own writer, default
// retention: 1500 raw runs, 7 days, 90 days of hourly aggregates) into a
// fresh LMDB under DIR (default /dev/shm when present: the same pages, no
// fsync wait). Runs: latency log-normal around 20 ms, 0.5 % single
// failures, and a 10-minute outage per job per day (an incident each day),
// through the real policy. Batches of ten simulated minutes.
//
// Prints, per database, the pages LMDB holds (what the file needs) next to
// the key and value bytes stored (the floor: what any store must keep),
// per job and, for aggregates and incidents, per job per day; and the
// writer's CPU per run for each simulated day, which stays flat once the
// raw window is full and every write also trims (O(dropped), no scan),
// next to what the old per-write count of a job's full window cost.
#include <lmdb.h>
#include <time.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/log.h"
#include "state/policy.h"
#include "state/state_keys.h"
#include "state/state_writer.h"

namespace checker::bench {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kStart = 1'789'999'200'000;  // a whole UTC hour in 2026

double threadCpuUs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

struct Job {
  std::string id;
  JobRecord record;
  int64_t outageMinute = 0;  // of the current day
};

class Simulation {
 public:
  Simulation(int jobs, uint64_t seed) : random_(seed) {
    for (int j = 0; j < jobs; ++j) jobs_.push_back({"tcp:host" + std::to_string(j) + ".example.org:443:" + std::to_string(j), {}, 0});
  }

  // Adds one minute's runs (one per job) to WRITER.
  void minute(StateWriter& writer, int64_t minuteIndex) {
    const int64_t minuteOfDay = minuteIndex % 1440;
    for (Job& job : jobs_) {
      if (minuteOfDay == 0) job.outageMinute = std::uniform_int_distribution<int64_t>(0, 1430)(random_);
      const bool outage = minuteOfDay >= job.outageMinute && minuteOfDay < job.outageMinute + 10;
      const bool ok = !outage && std::uniform_real_distribution<double>(0, 1)(random_) >= 0.005;
      FinishedRun run;
      run.jobId = run.jobName = job.id;
      run.jobType = "tcp";
      run.startedUnixMs = kStart + minuteIndex * kMinuteMs + std::uniform_int_distribution<int64_t>(0, 999)(random_);
      run.outcome = ok ? ipc::Outcome::OK : ipc::Outcome::FAILED;
      run.message = ok ? "" : "connect to " + job.id.substr(4, 20) + ": Connection refused";
      run.measured.latencyUs = ok ? static_cast<int64_t>(latency_(random_)) : -1;
      run.durationMs = static_cast<uint32_t>(run.measured.latencyUs / 1000 + 3);
      PolicyDecision d = applyPolicy(job.record.policy, ok, run.startedUnixMs, settings_);
      job.record.policy = d.next;
      ++job.record.runs;
      run.record = job.record;
      if (d.notice != NoticeKind::none) run.notices.push_back(OutboxMail{ipc::MailKind::ALERT, {"ops@example.org"}, "s", "b"});
      writer.add(std::move(run));
    }
  }
  size_t jobs() const { return jobs_.size(); }

 private:
  std::vector<Job> jobs_;
  std::mt19937_64 random_;
  std::lognormal_distribution<double> latency_{std::log(20'000.0), 0.5};
  NotifySettings settings_{NotifyMode::hour, 2, true, 1};
};

struct DbSize {
  size_t entries = 0;
  size_t pageBytes = 0;    // branch, leaf and overflow pages
  size_t storedBytes = 0;  // keys and values
};

// Page use of each named database, read with LMDB's own statistics after
// the store is closed.
DbSize measure(const std::string& dir, const char* name) {
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 16);
  DbSize size;
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0640) != 0) std::abort();
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  MDB_dbi dbi = 0;
  if (mdb_dbi_open(txn, name, 0, &dbi) == 0) {
    MDB_stat st{};
    mdb_stat(txn, dbi, &st);
    size.entries = st.ms_entries;
    size.pageBytes = (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * st.ms_psize;
    MDB_cursor* cursor = nullptr;
    mdb_cursor_open(txn, dbi, &cursor);
    MDB_val k{}, v{};
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      size.storedBytes += k.mv_size + v.mv_size;
    }
    mdb_cursor_close(cursor);
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return size;
}

// What the writer before issue 17 did at every write: count the job's
// entries. CPU per count of one job's full window.
double oldCountCostUs(StateStore& store, const std::string& jobId) {
  ReadTransaction txn = store.beginRead();
  const double start = threadCpuUs();
  constexpr int kRepeats = 200;
  size_t counted = 0;
  for (int i = 0; i < kRepeats; ++i) {
    txn.forEachWithPrefix(StateDb::history, state_keys::historyPrefix(jobId), [&](std::string_view, std::string_view) {
      ++counted;
      return true;
    });
  }
  const double us = (threadCpuUs() - start) / kRepeats;
  if (counted != kRepeats * 1500u) std::printf("  (the window held %zu runs, not 1500)\n", counted / kRepeats);
  return us;
}

int run(int jobs, int days, const std::string& base) {
  log::setMinimumLevel(log::Level::warning);  // not a line per notice queued
  const std::string dir = base + "/checker-bench-history-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  Simulation sim(jobs, 17);
  std::printf("%d jobs, one run a minute each, %d simulated days, default retention (1500 runs, 7 d, 90 d hourly)\n",
              jobs, days);
  std::printf("writer CPU per run (StateWriter::flush, 10-minute batches; fsync excluded: DIR %s):\n", base.c_str());
  double oldCount = 0;
  {
    StateStore store = StateStore::openForWriting(dir);
    StateWriter writer(store);
    for (int day = 0; day < days; ++day) {
      double cpu = 0;
      for (int64_t m = day * 1440; m < (day + 1) * 1440; ++m) {
        sim.minute(writer, m);
        if (m % 10 == 9) {
          const double before = threadCpuUs();
          writer.flush(kStart + (m + 1) * kMinuteMs);
          cpu += threadCpuUs() - before;
        }
      }
      std::printf("  day %2d: %5.1f us per run%s\n", day + 1, cpu / (1440.0 * jobs),
                  day == 0 ? " (raw window filling, no trim)" : " (window full: each write trims one)");
    }
    oldCount = oldCountCostUs(store, "tcp:host0.example.org:443:0");
  }
  std::printf("  for comparison, counting one job's full window (1500 runs), as every write did before: %.1f us\n",
              oldCount);
  const DbSize raw = measure(dir, "history"), hourly = measure(dir, "hourly"), incidents = measure(dir, "incidents"),
               index = measure(dir, "history_index");
  const double perJob = 1.0 / jobs;
  std::printf("space (LMDB pages; floor = key + value bytes stored):\n");
  std::printf("  raw runs      %8zu entries  %7.1f KiB per job (floor %6.1f KiB), %5.0f B per run: the window, not per day\n",
              raw.entries, raw.pageBytes * perJob / 1024, raw.storedBytes * perJob / 1024,
              static_cast<double>(raw.pageBytes) / static_cast<double>(raw.entries));
  std::printf("                at one run a minute the window holds %.2f days: %.1f KiB per job per day of window\n",
              static_cast<double>(raw.entries) * perJob / 1440,
              raw.pageBytes * perJob / 1024 / (static_cast<double>(raw.entries) * perJob / 1440));
  std::printf("  hourly        %8zu entries  %7.1f KiB per job per day (floor %5.1f), %4.0f B per hour; x 90 days: %.2f MiB per job\n",
              hourly.entries, hourly.pageBytes * perJob / days / 1024, hourly.storedBytes * perJob / days / 1024,
              static_cast<double>(hourly.pageBytes) / static_cast<double>(hourly.entries),
              hourly.pageBytes * perJob / days * 90 / 1024 / 1024);
  std::printf("  incidents     %8zu entries  %7.2f KiB per job per day (floor %5.2f)\n", incidents.entries,
              incidents.pageBytes * perJob / days / 1024, incidents.storedBytes * perJob / days / 1024);
  std::printf("  history_index %8zu entries  %7.2f KiB per job\n", index.entries, index.pageBytes * perJob / 1024);
  std::printf("  data.mdb      %.1f MiB (with free pages)\n",
              static_cast<double>(std::filesystem::file_size(dir + "/data.mdb")) / 1024 / 1024);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 50;
  const int days = argc > 2 ? std::atoi(argv[2]) : 10;
  std::string dir = argc > 3 ? argv[3] : std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
  if (jobs < 1 || days < 1) {
    std::fprintf(stderr, "usage: checker-bench-history [JOBS=50] [DAYS=10] [DIR]\n");
    return 2;
  }
  return checker::bench::run(jobs, days, dir);
}
