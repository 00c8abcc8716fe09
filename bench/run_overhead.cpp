// checker-bench-runs: the cost of one sandboxed run, next to the floor of a
// process-per-run design measured in the same run.
//   1. baseline: posix_spawn + waitpid of a static trivial binary, one at a time
//   2. checker: request -> result of a no-op job through the worker launcher
//      (checkerd's path: a fork per run) and the full sandbox (cgroups where
//      available, privilege drop when root), one at a time
//   3. the same with an exec of checker-worker per run (`checker run-job`'s
//      path), an exec job, and 256 MiB touched in the spawning process
// Throughput and lateness are measured through the real Supervisor by
// checker-bench-schedule.
// Prints its figures; it is not a test and asserts nothing.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "bench/bench_util.h"
#include "common/log.h"
#include "config/job_catalog.h"
#include "worker_runs/run_cgroups.h"
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
    spec.request = buildRunRequest(job, "bench", pluginDir, wallClockNowMs() + 10'000,
                                   planSandbox(useCgroups ? &cgroups : nullptr, job, runId, workDir, JobUser::byDefault()));
    auto started = std::chrono::steady_clock::now();
    auto done = [this, runId, started, onDone](WorkerRunReport&& r) {
      double micros = microsSince(started);
      if (r.observation.reply != ReplyState::ok || r.observation.exitStatus != 0) ++failures;
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

void report(const char* what, const std::vector<double>& micros) {
  std::printf("%-52s median %7.0f us   p99 %7.0f us   (n=%zu)\n", what, percentile(micros, 50), percentile(micros, 99),
              micros.size());
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker::bench;
  int runs = argc > 1 ? std::atoi(argv[1]) : 2000;
  checker::log::setMinimumLevel(checker::log::Level::error);
  Harness h;
  std::printf("checker-bench-runs: %d runs each; sandbox: %s; privilege drop: %s\n", runs, h.cgroups.describe().c_str(),
              ::geteuid() == 0 ? "yes" : "no (not root)");
  std::vector<double> base = baseline(selfDir() + "/checker-bench-trivial", runs);
  std::vector<double> viaLibuv = uvSpawnBaseline(selfDir() + "/checker-bench-trivial", runs);
  std::vector<double> sandboxed = h.sequential(runs);
  report("baseline: posix_spawn + waitpid (static true)", base);
  report("  the same binary through uv_spawn (fork + exec)", viaLibuv);
  report("checker: request -> result, no-op job, sandboxed", sandboxed);
  std::printf("%-52s median %.2fx   p99 %.2fx\n", "ratio checker / baseline", percentile(sandboxed, 50) / percentile(base, 50),
              percentile(sandboxed, 99) / percentile(base, 99));
  h.useCgroups = false;
  report("  the same without run cgroups (rlimits only)", h.sequential(runs / 2));
  h.useCgroups = true;
  h.viaLauncher = false;
  report("  the same, exec of checker-worker per run (run-job)", h.sequential(runs / 2));
  h.viaLauncher = true;
  checker::JobDefinition noop = h.job;
  h.job = benchJob("exec:/bin/true", "exec", {{"command", "/bin/true"}, {"shell", "no"}});
  report("  an exec job running /bin/true", h.sequential(runs / 2));
  h.job = noop;
  {
    std::vector<char> ballast(256u << 20);
    std::memset(ballast.data(), 1, ballast.size());  // touched: page tables fork must copy
    report("checker, spawner holding 256 MiB", h.sequential(runs / 4));
  }
  std::printf("failed runs: %d\n", h.failures);
  return h.failures == 0 ? 0 : 1;
}
