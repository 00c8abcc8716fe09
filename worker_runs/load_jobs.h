#pragma once
// Loading a configuration and every job it runs, in one call: what checkerd
// does at start and on reload, and what check-config, run-job and
// import-state do. The config's own checks and the job catalogue run first
// (config/job_catalog.h, loadConfiguration); only a config without errors
// has its plugin sections described, each by a sandboxed worker that asks
// the plugin which jobs the section stands for (worker_runs/plugin_describe.h).
// `checker status` does not call this: it lists the jobs checkerd wrote
// into the state, and runs no plugin code.
#include <string>

#include "config/job_catalog.h"
#include "worker_runs/job_user.h"

namespace checker {

// How plugin sections are described: the worker program to run, and the
// user it drops to (as a run's worker would).
struct PluginDescriber {
  std::string workerPath;
  JobUser user = JobUser::byDefault();
};

// The config at PATH and every job it runs, plugin jobs as DESCRIBER's
// workers described them; or, in errors, everything wrong with it
// ("FILE:LINE: ..."). The config's and the catalogue's errors come sorted
// by line; plugin sections are described only when there are none, so a
// description's errors are about a config otherwise valid. The result is a
// LoadedConfig and not a Result<>: a load has many errors at once, and
// warnings even when it succeeds.
LoadedConfig loadJobs(const std::string& path, const PluginDescriber& describer);

}  // namespace checker
