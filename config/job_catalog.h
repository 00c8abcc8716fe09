#pragma once
// The job catalogue: for each built-in job type, which keys its section
// takes, how the section expands into jobs (one per target, the seed's
// JobSpawner) and what identifies each job. Identity is the type plus the
// arguments that distinguish the job, never its schedule or notification
// settings, so changing how often a job runs keeps its state:
//
//   tcp       "tcp:HOST:PORT"              keys: host+port | target | targets, connect_timeout
//   http      "http:URL"                   keys: url | targets, expect_status, expect_body, cafile
//   tls_cert  "tls_cert:HOST:PORT"         keys: target | targets, warn_days, cafile
//   exec      "exec:COMMAND" (+" (shell)") keys: command, shell
//   plugin    "plugin:CLASS:SECTION"       any keys; CLASS.so must exist in plugindir
//   system    "system:email", "peer:URL"   the email self-check and one peer check per peer
//
// This file holds descriptions only: no job code runs here (a plugin's own
// expansion is asked of a worker; see docs/architecture.md).
#include <string>
#include <vector>

#include "config/config.h"
#include "config/job_definition.h"

namespace checker {

// Names of the built-in job types, in the order documented.
const std::vector<std::string>& builtinJobTypes();
// A plugin section's job: neither built in nor a system job, so its jobs
// are known only once a worker has had the plugin describe them.
bool isPluginJob(const JobDefinition& job);
// The built-in network types: checker's own network code, which a probe
// worker may run (isolation = batch) and a run of which is one process in
// the launcher's read-only namespace (worker_runs/builtin_network_types.h):
// tcp, http, tls_cert, and every network type added later.
bool isProbeType(std::string_view type);

struct JobPlan {
  std::vector<JobDefinition> jobs;  // configured jobs, then system jobs
  std::vector<std::string> errors;  // "FILE:LINE: ..."
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

// Checks every job section's type-specific keys and expands the config into
// the jobs checkerd would run. Looks at the file system only to find plugin
// files and exec commands.
JobPlan planJobs(const Config& config);

// Loads PATH and plans its jobs, plugin sections not yet described (what
// `checker status` needs; the programs that run jobs call loadJobs,
// worker_runs/load_jobs.h, which describes them too). Errors
// and warnings of both steps are gathered, in file order per step.
struct LoadedConfig {
  Config config;
  std::vector<JobDefinition> jobs;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};
LoadedConfig loadConfiguration(const std::string& path);

// One line describing a job for people: id, type, schedule, notify, threshold.
std::string describeJob(const JobDefinition& job);

}  // namespace checker
