// checker-bench-runs: the cost of one sandboxed run, next to the floor of a
// process-per-run design measured in the same run, in time and in CPU.
//   1. baseline: posix_spawn + waitpid of a static trivial binary, one at a time
//   2. checker: request -> result through the worker launcher (checkerd's
//      path: a fork per run) and the full sandbox (cgroups where available,
//      privilege drop and namespaces when root), one at a time: a no-op
//      job (a plugin), a tcp job to a loopback listener, an http job to a
//      tiny loopback HTTP server, an exec job running /bin/true
//   3. the no-op job without run cgroups, with an exec of checker-worker per
//      run (`checker run-job`'s path), and with 256 MiB touched in the
//      spawning process
// CPU per run is the whole tree's (this process, the launcher, its workers)
// from a cgroup (bench/cpu_meter.h), the loopback servers' own share taken
// out; each phase's CPU is also given as a ratio to the floor's.
// Throughput and lateness are measured through the real Supervisor by
// checker-bench-schedule.
// Prints its figures; it is not a test and asserts nothing.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <memory>

#include "bench/bench_util.h"
#include "bench/cpu_meter.h"
#include "bench/loopback_server.h"
#include "common/log.h"
#include "config/job_catalog.h"
#include "worker_runs/builtin_network_types.h"
#include "state/run_outcome.h"
#include "worker_runs/run_cgroups.h"
#include "worker_runs/run_reply.h"
#include "worker_runs/run_request.h"
#include "supervisor/supervisor.h"
#include "worker_runs/worker_run.h"

extern char** environ;

namespace checker::bench {
namespace {

std::vector<double> baseline(const std::string& binary, int runs) {
  std::vector<double> micros;
  char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid;
    if (::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv, environ) != 0) break;
    ::waitpid(pid, nullptr, 0);
    micros.push_back(microsSince(start));
  }
  return micros;
}

// uv_spawn + exit callback of BINARY on a loop: the libuv/fork share of a run.
std::vector<double> uvSpawnBaseline(const std::string& binary, int runs) {
  std::vector<double> micros;
  uv_loop_t loop;
  uv_loop_init(&loop);
  for (int i = 0; i < runs; ++i) {
    uv_process_t process{};
    char* args[] = {const_cast<char*>(binary.c_str()), nullptr};
    uv_process_options_t options{};
    options.file = binary.c_str();
    options.args = args;
    options.exit_cb = [](uv_process_t* p, int64_t, int) { uv_close(reinterpret_cast<uv_handle_t*>(p), nullptr); };
    auto start = std::chrono::steady_clock::now();
    if (uv_spawn(&loop, &process, &options) != 0) break;
    uv_run(&loop, UV_RUN_DEFAULT);
    micros.push_back(microsSince(start));
  }
  uv_loop_close(&loop);
  return micros;
}

// A one-job section's job, as the catalogue makes them.
JobDefinition benchJob(const std::string& id, const std::string& type, WorkerParams params) {
  JobSectionSettings settings;
  settings.type = type;
  settings.section = settings.name = "bench";
  settings.params = std::move(params);
  return JobDefinition(id, std::make_shared<const JobSectionSettings>(std::move(settings)));
}

struct Harness {
  uv_loop_t loop;
  std::unique_ptr<WorkerLauncher> launcher;
  bool viaLauncher = true;
  RunCgroups cgroups;
  JobDefinition job = benchJob("plugin:NoopCheck:bench", "NoopCheck", {});
  std::string workDir, workerPath, pluginDir;
  uint64_t nextRunId = 1;
  int failures = 0;
  bool useCgroups = true;

  Harness() : cgroups(RunCgroups::detect()) {
    uv_loop_init(&loop);
    char dir[] = "/tmp/checker-bench-XXXXXX";
    workDir = ::mkdtemp(dir);
    ::chmod(workDir.c_str(), 0555);
    workerPath = selfDir() + "/checker-worker";
    pluginDir = selfDir() + "/../bench-plugins";
    launcher = std::make_unique<WorkerLauncher>(&loop, workerPath);
    if (Result<> started = launcher->start(); !started) std::fprintf(stderr, "launcher: %s\n", started.error().c_str());
  }
  ~Harness() {
    launcher->stop();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    ::rmdir(workDir.c_str());
  }

  // Starts one run; ON_DONE gets its spawn -> result time in microseconds.
  void start(std::function<void(double)> onDone) {
    uint64_t runId = nextRunId++;
    WorkerRunSpec spec;
    spec.workerPath = workerPath;
    spec.timeoutMs = 10'000;
    spec.spareKind = spareKindFor(job.type());  // as checkerd asks (supervisor/worker_run_launcher.cpp)
    spec.request = buildRunRequest(job, "bench", pluginDir, wallClockNowMs() + 10'000,
                                   planSandbox(useCgroups ? &cgroups : nullptr, job, runId, workDir, JobUser::byDefault()));
    auto started = std::chrono::steady_clock::now();
    auto done = [this, runId, started, onDone](WorkerRunReport&& r) {
      double micros = microsSince(started);
      interpretReply(r);
      if (r.observation.reply != ReplyState::ok || r.observation.exitStatus != 0 || !r.observation.jobOk) {
        // A few are described: a run that fails against a healthy target is a finding.
        if (++failures <= 3) {
          std::fprintf(stderr, "failed run %llu after %u ms: %s; stderr: %s\n", static_cast<unsigned long long>(runId),
                       r.durationMs,
                       classifyRun(r.observation).message.c_str(), firstLineOf(r.stderrText).c_str());
        }
      }
      while (useCgroups && cgroups.mode() != RunCgroups::Mode::none && !cgroups.cleanupRun(runId).removed) {
      }
      onDone(micros);
    };
    Result<WorkerRun*> run =
        viaLauncher ? WorkerRun::launch(&loop, *launcher, runId, spec, done) : WorkerRun::start(&loop, spec, done);
    if (!run) {
      std::fprintf(stderr, "spawn failed: %s\n", run.error().c_str());
      ++failures;
    }
  }

  std::vector<double> sequential(int runs) {
    std::vector<double> micros;
    for (int i = 0; i < runs; ++i) {
      bool finished = false;
      start([&](double us) {
        micros.push_back(us);
        finished = true;
      });
      while (!finished) uv_run(&loop, UV_RUN_ONCE);  // the launcher's socket keeps the loop alive
    }
    return micros;
  }

};

// One phase: its latencies and its CPU per run (negative: not measured).
struct Phase {
  std::vector<double> micros;
  double cpuMicros = -1;
};

template <typename Body>
Phase measure(const CpuMeter& meter, Body&& body, const LoopbackServer* server = nullptr) {
  uint64_t before = meter.nanos(), serverBefore = server ? server->cpuNanos() : 0;
  Phase phase;
  phase.micros = body();
  uint64_t used = meter.nanos() - before;
  uint64_t serverUsed = server ? server->cpuNanos() - serverBefore : 0;
  if (meter.available() && !phase.micros.empty()) {
    phase.cpuMicros = static_cast<double>(used - std::min(used, serverUsed)) / 1000.0 / static_cast<double>(phase.micros.size());
  }
  return phase;
}

void report(const char* what, const Phase& phase, const Phase& floor) {
  std::printf("%-50s median %6.0f us  p99 %6.0f us", what, percentile(phase.micros, 50), percentile(phase.micros, 99));
  if (phase.cpuMicros >= 0) {
    std::printf("  CPU %6.0f us/run (%.2fx floor)", phase.cpuMicros, phase.cpuMicros / floor.cpuMicros);
  }
  std::printf("  (n=%zu)\n", phase.micros.size());
}

// The phases that run jobs through the launcher; ONLY names one of
// noop, tcp, http, exec to run it alone (for perf), else all run.
struct JobPhases {
  Harness& h;
  const CpuMeter& meter;
  int runs;
  Phase floor, binTrue;
  const char* only;

  bool wants(const char* name) const { return only == nullptr || std::strcmp(only, name) == 0; }

  void run() {
    checker::JobDefinition noopJob = h.job;
    if (wants("noop")) {
      Phase noop = measure(meter, [&] { return h.sequential(runs); });
      report("checker: no-op job (plugin), sandboxed", noop, floor);
      std::printf("%-50s median %.2fx   p99 %.2fx\n", "ratio no-op / baseline (time)",
                  percentile(noop.micros, 50) / percentile(floor.micros, 50),
                  percentile(noop.micros, 99) / percentile(floor.micros, 99));
    }
    if (wants("tcp")) {
      LoopbackServer server(LoopbackServer::Kind::acceptAndClose);
      std::string port = std::to_string(server.port());
      h.job = benchJob("tcp:127.0.0.1:" + port, "tcp", {{"host", "127.0.0.1"}, {"port", port}, {"connect_timeout_ms", "5000"}});
      report("checker: tcp job, loopback listener", measure(meter, [&] { return h.sequential(runs); }, &server), floor);
    }
    if (wants("http")) {
      LoopbackServer server(LoopbackServer::Kind::http);
      std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
      h.job = benchJob("http:" + url, "http", {{"url", url}, {"expect_status", "200"}});
      report("checker: http job, loopback server", measure(meter, [&] { return h.sequential(runs); }, &server), floor);
    }
    if (wants("exec")) execPhase();
    h.job = noopJob;
    if (only == nullptr) noopVariants();
  }

  void execPhase() {
    h.job = benchJob("exec:/bin/true", "exec", {{"command", "/bin/true"}, {"shell", "no"}});
    Phase exec = measure(meter, [&] { return h.sequential(runs / 2); });
    report("checker: exec job running /bin/true", exec, floor);
    if (exec.cpuMicros < 0) return;
    double target = 1.5 * floor.cpuMicros + binTrue.cpuMicros;
    std::printf("%-50s %.0f us (1.5x floor + /bin/true's posix_spawn): %.2fx of it\n", "  exec target", target,
                exec.cpuMicros / target);
  }

  void noopVariants() {
    h.useCgroups = false;
    report("  no-op without run cgroups (rlimits only)", measure(meter, [&] { return h.sequential(runs / 2); }), floor);
    h.useCgroups = true;
    h.viaLauncher = false;
    report("  no-op, exec of checker-worker per run (run-job)", measure(meter, [&] { return h.sequential(runs / 2); }), floor);
    h.viaLauncher = true;
    std::vector<char> ballast(256u << 20);
    std::memset(ballast.data(), 1, ballast.size());  // touched: page tables fork must copy
    report("  no-op, spawner holding 256 MiB", measure(meter, [&] { return h.sequential(runs / 4); }), floor);
  }
};

}  // namespace
}  // namespace checker::bench

// checker-bench-runs [RUNS [noop|tcp|http|exec]]
int main(int argc, char** argv) {
  using namespace checker::bench;
  int runs = argc > 1 ? std::atoi(argv[1]) : 2000;
  checker::log::setMinimumLevel(checker::log::Level::error);
  CpuMeter meter;  // before any child: they all start in its group
  int failures = 0;
  {
    Harness h;
    meter.useV2IfNeeded();
    std::printf("checker-bench-runs: %d runs each; sandbox: %s; privilege drop: %s\n", runs,
                h.cgroups.describe().c_str(), ::geteuid() == 0 ? "yes" : "no (not root)");
    std::printf("CPU: %s\n", meter.describe().c_str());
    std::string trivial = selfDir() + "/checker-bench-trivial";
    Phase floor = measure(meter, [&] { return baseline(trivial, runs); });
    report("baseline: posix_spawn + waitpid (static true)", floor, floor);
    report("  the same binary through uv_spawn (fork + exec)", measure(meter, [&] { return uvSpawnBaseline(trivial, runs); }), floor);
    Phase binTrue = measure(meter, [&] { return baseline("/bin/true", runs / 2); });
    report("  posix_spawn + waitpid of /bin/true", binTrue, floor);
    JobPhases{h, meter, runs, floor, binTrue, argc > 2 ? argv[2] : nullptr}.run();
    std::printf("failed runs: %d\n", h.failures);
    failures = h.failures;
  }
  return failures == 0 ? 0 : 1;
}
