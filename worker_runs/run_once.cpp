#include "worker_runs/run_once.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/clock.h"
#include "worker_runs/run_cgroups.h"
#include "worker_runs/run_reply.h"
#include "worker_runs/run_request.h"
#include "worker_runs/worker_run.h"

namespace checker {

namespace {

// PROGRAM beside the running executable (the build tree: build/bin), else
// where the installed layout puts it relative to the executable
// (/usr/sbin/../lib/checker, which also holds for any prefix and in a tree
// unpacked anywhere), else the package's directory.
std::string helperProgram(const std::string& program) {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir.resize(dir.rfind('/'));
    for (const std::string& candidate : {dir + "/" + program, dir + "/" CHECKER_HELPERS_FROM_BINDIR "/" + program}) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "/usr/lib/checker/" + program;
}

}  // namespace

std::string defaultWorkerPath() { return helperProgram("checker-worker"); }
std::string defaultMailerPath() { return helperProgram("checker-mailer"); }
std::string defaultPeerdPath() { return helperProgram("checker-peerd"); }

OneShotSandbox::OneShotSandbox(JobUser user)
    : user_(std::move(user)), nextRunId_(static_cast<uint64_t>(::getpid()) << 16) {
  char dir[] = "/tmp/checker-run-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return;
  ::chmod(dir, 0555);
  workDir_ = dir;
  cgroups_ = std::make_unique<RunCgroups>(RunCgroups::detect());
}

OneShotSandbox::~OneShotSandbox() {
  if (!workDir_.empty()) ::rmdir(workDir_.c_str());
}

SandboxPlan OneShotSandbox::plan(const JobDefinition& job, uint64_t* runId) {
  *runId = nextRunId_++;
  return planSandbox(cgroups_.get(), job, *runId, workDir_, user_);
}

WorkerRunReport OneShotSandbox::runWorker(const std::string& workerPath, std::string request, uint32_t timeoutMs,
                                          uint64_t runId) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  WorkerRunSpec spec;
  spec.workerPath = workerPath;
  spec.timeoutMs = timeoutMs;
  spec.request = std::move(request);
  WorkerRunReport finished;
  Result<WorkerRun*> run = WorkerRun::start(&loop, spec, [&](WorkerRunReport&& report) { finished = std::move(report); });
  if (!run) {
    finished.observation.spawned = false;
    finished.observation.spawnError = run.error();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (cgroups_->mode() != RunCgroups::Mode::none) {
    finished.observation.memoryLimitHit = cgroups_->runHitMemoryLimit(runId);
    // The kernel reaps a killed cgroup's processes on its own time; bounded.
    for (int attempt = 0; attempt < 100 && !cgroups_->cleanupRun(runId).removed; ++attempt) ::usleep(10'000);
  }
  finished.observation.timeoutMs = timeoutMs;
  return finished;
}

SingleRun runJobOnce(const JobDefinition& job, const Config& config, const std::string& workerPath,
                     const JobUser& user) {
  SingleRun result;
  OneShotSandbox sandbox(user);
  if (!sandbox.ok()) {
    result.run = {ipc::Outcome::PROTOCOL_ERROR, 0, "could not make a working directory for the run"};
    return result;
  }
  uint64_t runId = 0;
  SandboxPlan plan = sandbox.plan(job, &runId);
  std::string request = buildRunRequest(job, config.general.serverName, config.general.pluginDir,
                                        wallClockNowMs() + job.limits().timeout.count(), plan);
  WorkerRunReport finished = sandbox.runWorker(
      workerPath, std::move(request), static_cast<uint32_t>(job.limits().timeout.count()) + kSupervisorDeadlineGraceMs,
      runId);
  finished.observation.cpuSeconds = job.limits().cpuSeconds;
  finished.observation.stderrExcerpt = firstLineOf(finished.stderrText);
  interpretReply(finished);
  result.run = classifyRun(finished.observation);
  result.durationMs = finished.durationMs;
  result.stderrText = finished.stderrText;
  return result;
}

}  // namespace checker
