#include "supervisor/run_once.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "supervisor/run_cgroups.h"
#include "supervisor/run_reply.h"
#include "supervisor/run_request.h"
#include "supervisor/supervisor.h"
#include "supervisor/worker_run.h"

namespace checker {

std::string defaultWorkerPath() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir.resize(dir.rfind('/'));
    std::string beside = dir + "/checker-worker";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return "/usr/lib/checker/checker-worker";
}

SingleRun runJobOnce(const JobDefinition& job, const Config& config, const std::string& workerPath) {
  SingleRun result;
  char workDir[] = "/tmp/checker-run-XXXXXX";
  if (::mkdtemp(workDir) == nullptr) {
    result.run = {ipc::Outcome::PROTOCOL_ERROR, 0, "could not make a working directory for the run"};
    return result;
  }
  ::chmod(workDir, 0555);
  std::string whyNot;
  RunCgroups cgroups = RunCgroups::detect(&whyNot);
  uint64_t runId = static_cast<uint64_t>(::getpid());
  bool root = ::geteuid() == 0;
  uv_loop_t loop;
  uv_loop_init(&loop);
  WorkerRunSpec spec;
  spec.workerPath = workerPath;
  spec.timeoutMs = static_cast<uint32_t>(job.limits.timeout.count()) + kSupervisorDeadlineGraceMs;
  spec.request = buildRunRequest(job, config.general.serverName, config.general.pluginDir,
                                 wallClockNowMs() + job.limits.timeout.count(),
                                 planSandbox(&cgroups, job, runId, workDir, root));
  std::string error;
  WorkerRunReport finished;
  WorkerRun* run = WorkerRun::start(&loop, spec, [&](WorkerRunReport&& report) { finished = std::move(report); }, &error);
  if (run == nullptr) {
    finished.observation.spawned = false;
    finished.observation.spawnError = error;
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (cgroups.mode() != RunCgroups::Mode::none) {
    finished.observation.memoryLimitHit = cgroups.runHitMemoryLimit(runId);
    for (int attempt = 0; attempt < 100 && !cgroups.cleanupRun(runId).removed; ++attempt) ::usleep(10'000);
  }
  ::rmdir(workDir);
  finished.observation.timeoutMs = spec.timeoutMs;
  finished.observation.cpuSeconds = job.limits.cpuSeconds;
  finished.observation.stderrExcerpt = firstLineOf(finished.stderrText);
  interpretReply(finished);
  result.run = classifyRun(finished.observation);
  result.durationMs = finished.durationMs;
  result.stderrText = finished.stderrText;
  return result;
}

}  // namespace checker
