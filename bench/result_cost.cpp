// checker-bench-results [RESULTS=100000] [JOBS=1000]: the supervisor's own
// cost per result, alone (issue 16, part 3). No process is started: a
// launcher stand-in hands every run a synthetic worker report (a real
// encoded reply, ok or failed) and the rest is checkerd's own code, as
// supervisor.cpp wires it: the RunEngine and its WorkerRunner
// (classification, state/run_outcome.h), the Alerting path (policy,
// notice, history entry; supervisor/alerting.h) and a StateWriter batch
// committed to a real LMDB StateStore every 50 ms of (simulated) time, as
// checkerd flushes. JOBS `tcp` jobs run every second until RESULTS
// results: 8 in 10 always ok, 1 in 10 always failing (notify = every: a
// notice each run), 1 in 10 alternating (a failure or recovery notice each
// run). The history is full (50 runs a job) for the second half.
// Prints microseconds of CPU per result (this thread), split by stage.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <capnp/message.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "bench/bench_util.h"
#include "common/log.h"
#include "ipc/framing.h"
#include "supervisor/alerting.h"
#include "supervisor/run_engine.h"

namespace checker::bench {
namespace {

// user and system CPU of this thread, in microseconds
std::pair<double, double> threadUserSysUs() {
  rusage r{};
  ::getrusage(RUSAGE_THREAD, &r);
  return {static_cast<double>(r.ru_utime.tv_sec) * 1e6 + static_cast<double>(r.ru_utime.tv_usec),
          static_cast<double>(r.ru_stime.tv_sec) * 1e6 + static_cast<double>(r.ru_stime.tv_usec)};
}

double threadCpuUs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

class SimClock final : public Clock {
 public:
  int64_t wallMs() override { return wall; }
  uint64_t monoMs() override { return mono; }
  int64_t wall = 1'800'000'000'000;
  uint64_t mono = 5'000'000;
};

// Every run "starts" at once; its report is handed over by the benchmark.
class InstantLauncher final : public RunLauncher {
 public:
  struct Started {
    std::string jobId, section;
    Done done;
  };
  bool ready() const override { return true; }
  Result<> launch(const JobDefinition& job, uint64_t, int64_t, Done done) override {
    started.push_back({job.id(), job.section(), std::move(done)});
    return {};
  }
  void kill(uint64_t) override {}
  std::vector<Started> started;
};

// checkerd's recorder, timed.
class TimedRecorder final : public RunRecorder {
 public:
  explicit TimedRecorder(Alerting& alerting) : alerting_(alerting) {}
  void record(const JobDefinition& job, JobRecord& record, const RunResult& result) override {
    double t0 = threadCpuUs();
    alerting_.record(job, record, result);
    cpuUs += threadCpuUs() - t0;
    ++results;
  }
  double cpuUs = 0;
  uint64_t results = 0;

 private:
  Alerting& alerting_;
};

std::string encodedReply(bool ok, const std::string& message) {
  capnp::MallocMessageBuilder builder;
  auto result = builder.initRoot<ipc::WorkerReply>().initResult();
  result.setOutcome(ok ? ipc::Outcome::OK : ipc::Outcome::FAILED);
  result.setMessage(message);
  result.setDurationMs(1);
  return ipc::encode(builder);
}

// What a worker's end looks like to the runner: exit 0 and a valid reply.
WorkerRunReport reportOf(const std::string& frame, int64_t startedMs) {
  WorkerRunReport report;
  report.observation.exitStatus = 0;
  report.observation.reply = ReplyState::ok;
  report.reply = ipc::decode(frame);
  report.startedUnixMs = startedMs;
  report.durationMs = 1;
  return report;
}

std::vector<JobDefinition> makeJobs(int count) {
  auto section = [](const char* name, NotifyMode mode) {
    JobSectionSettings s;
    s.type = "tcp";
    s.section = s.name = name;
    s.schedule = Schedule{Schedule::Kind::interval, Milliseconds(1000)};
    s.notify.mode = mode;
    s.targetIdPrefix = "tcp:";
    s.targetInName = true;
    s.targetParams = TargetParams::hostPort;
    s.params = {{"connect_timeout_ms", "2000"}};
    return std::make_shared<const JobSectionSettings>(std::move(s));
  };
  auto healthy = section("healthy", NotifyMode::stateChange), failing = section("failing", NotifyMode::every),
       flapping = section("flapping", NotifyMode::stateChange);
  std::vector<JobDefinition> jobs;
  for (int i = 0; i < count; ++i) {
    const auto& s = i % 10 == 8 ? failing : i % 10 == 9 ? flapping : healthy;
    jobs.emplace_back("tcp:192.0.2." + std::to_string(i / 250 + 1) + ":" + std::to_string(1000 + i % 250), s);
  }
  return jobs;
}

// WorkerRunner::classify alone (reply interpretation and outcome), per call.
double classifyAlone(const std::string& okFrame, const std::string& failedFrame, int count) {
  std::vector<WorkerRunReport> reports;
  for (int i = 0; i < count; ++i) reports.push_back(reportOf(i % 2 == 0 ? okFrame : failedFrame, 0));
  JobLimits limits;
  double t0 = threadCpuUs();
  for (WorkerRunReport& r : reports) {
    RunResult result = WorkerRunner::classify(limits, r);
    if (result.run.message.empty()) std::printf("?");
  }
  return (threadCpuUs() - t0) / count;
}

struct Stages {
  double tickUs = 0, doneUs = 0, flushUs = 0, flushUserUs = 0, flushSysUs = 0, flushWallUs = 0, classifyUs = 0;
  uint64_t flushes = 0;
};

struct Counts {
  uint64_t done = 0, ok = 0, failed = 0;
  std::unordered_map<std::string, uint64_t> runsOf;
};

// 50 ms of checkerd (its flush delay): what falls due starts, every run
// started ends, and the batch is committed.
void step(RunEngine& engine, InstantLauncher& launcher, StateWriter& writer, SimClock& clock, Stages& st,
          Counts& counts) {
  static const std::string kOkFrame = encodedReply(true, "connected to 192.0.2.1:1000 in 1 ms");
  static const std::string kFailedFrame = encodedReply(false, "could not connect to 192.0.2.1:1000: connection refused");
  clock.wall += 50;  // checkerd's flush delay: what finishes in 50 ms is one commit
  clock.mono += 50;
  double t0 = threadCpuUs();
  engine.tick();
  st.tickUs += threadCpuUs() - t0;
  std::vector<InstantLauncher::Started> started = std::exchange(launcher.started, {});
  std::vector<WorkerRunReport> reports;  // made outside the timing: reading a reply is the run's I/O
  for (const InstantLauncher::Started& s : started) {
    uint64_t n = counts.runsOf[s.jobId]++;
    bool ok = s.section == "healthy" || (s.section == "flapping" && n % 2 == 0);
    (ok ? counts.ok : counts.failed)++;
    reports.push_back(reportOf(ok ? kOkFrame : kFailedFrame, clock.wall));
  }
  t0 = threadCpuUs();
  for (size_t i = 0; i < started.size(); ++i) started[i].done(std::move(reports[i]));
  st.doneUs += threadCpuUs() - t0;
  counts.done += started.size();
  if (writer.pending() > 0) {
    t0 = threadCpuUs();
    auto wall0 = std::chrono::steady_clock::now();
    auto [user0, sys0] = threadUserSysUs();
    writer.flush(clock.wall);
    auto [user1, sys1] = threadUserSysUs();
    st.flushUserUs += user1 - user0;
    st.flushSysUs += sys1 - sys0;
    st.flushWallUs += microsSince(wall0);
    st.flushUs += threadCpuUs() - t0;
    ++st.flushes;
  }
}

int benchMain(uint64_t wanted, int jobCount) {
  ScopedTempDir temp("checker-bench-results");
  const std::string& dir = temp.path;
  Config config;
  config.general.serverName = "bench";
  config.general.alertContacts = {"ops@example.org"};
  StateStore store = StateStore::openForWriting(dir + "/state");
  StateWriter writer(store);
  SimClock clock;
  InstantLauncher launcher;
  Alerting alerting(clock, config, writer, [] {});
  TimedRecorder recorder(alerting);
  RunEngine engine(clock, launcher, recorder, 256, {});
  std::vector<JobDefinition> jobs = makeJobs(jobCount);
  engine.addJobs(jobs);
  engine.loadRecords(writer.load());
  engine.chooseRunners([&](const JobDefinition&) { return &engine.workerRunner(); });
  engine.schedule();
  Stages st;
  Counts counts;
  while (counts.done < wanted) {
    interrupted();
    step(engine, launcher, writer, clock, st, counts);
  }
  st.classifyUs = classifyAlone(encodedReply(true, "connected"), encodedReply(false, "refused"), 20'000);
  double n = static_cast<double>(counts.done);
  double recordUs = recorder.cpuUs / n, runnerUs = st.doneUs / n - recordUs;
  std::printf("checker-bench-results: %llu results of %d tcp jobs (%llu ok, %llu failed), %llu notices to the "
              "outbox, %llu commits (one per 50 ms of simulated time, %.0f results each)\n",
              static_cast<unsigned long long>(counts.done), jobCount, static_cast<unsigned long long>(counts.ok),
              static_cast<unsigned long long>(counts.failed),
              static_cast<unsigned long long>(writer.outboxEntriesWritten()),
              static_cast<unsigned long long>(st.flushes), n / static_cast<double>(st.flushes));
  std::printf("CPU per result, this thread: %.1f us in all\n", (st.tickUs + st.doneUs + st.flushUs) / n);
  std::printf("  schedule and start (tick, runner, no process)     %6.1f us\n", st.tickUs / n);
  std::printf("  run's end: runner + classification + engine      %6.1f us (of it classification alone %.1f us)\n",
              runnerUs, st.classifyUs);
  std::printf("  policy + notice + history entry (Alerting)       %6.1f us\n", recordUs);
  std::printf("  LMDB write + commit (StateWriter::flush)         %6.1f us CPU, %.1f us wall (fdatasync) per result; "
              "%.0f us wall per commit\n",
              st.flushUs / n, st.flushWallUs / n, st.flushWallUs / static_cast<double>(st.flushes));
  std::printf("    of the commit's CPU: user %.1f us, system %.1f us per result (rusage of the thread)\n",
              st.flushUserUs / n, st.flushSysUs / n);
  return 0;
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  long results = argc > 1 ? std::atol(argv[1]) : 100'000;
  int jobs = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (results <= 0 || jobs <= 0) {
    std::fprintf(stderr, "usage: checker-bench-results [RESULTS=100000] [JOBS=1000]\n");
    return 2;
  }
  // checkerd's log lines (one per failed run) are part of the cost: written
  // at checkerd's level, to /dev/null rather than a terminal.
  int devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  int savedErr = ::dup(2);
  ::dup2(devNull, 2);
  checker::bench::catchStopSignals();
  int rc = 1;
  try {
    rc = checker::bench::benchMain(static_cast<uint64_t>(results), jobs);
  } catch (const std::exception& e) {
    ::dup2(savedErr, 2);
    std::fprintf(stderr, "checker-bench-results: %s\n", e.what());
  }
  ::dup2(savedErr, 2);
  return rc;
}
