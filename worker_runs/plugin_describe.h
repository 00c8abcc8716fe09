#pragma once
// Expands plugin job sections through a worker ("describe"): a plugin's
// JobSpawner may turn one section into several jobs, and a plugin's job may
// say its own schedule, notification mode and threshold (the seed's
// executeEvery() & co.). Job code never runs in the supervisor, so this is
// asked of a sandboxed worker when the config is loaded: programs call
// loadJobs (worker_runs/load_jobs.h), which calls this.
//
// Identity of a plugin job: "plugin:CLASS:SECTION" for a section that is one
// job, "plugin:CLASS:" + its identity arguments joined by ":" for the jobs
// of a spawner (the values of the sub-job's parameters, in order).
#include <string>

#include "config/job_catalog.h"
#include "worker_runs/job_user.h"

namespace checker {

// Replaces every plugin definition in LOADED.jobs by what its worker
// described; a section that cannot be described is an error in
// LOADED.errors ("FILE:LINE: [job NAME] type CLASS: why"). The workers
// drop to USER, as a run's would.
void describePluginJobs(LoadedConfig& loaded, const std::string& workerPath,
                        const JobUser& user = JobUser::byDefault());

}  // namespace checker
