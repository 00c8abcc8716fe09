#pragma once
// Job types by name, inside the worker: the built-in types (tcp, http,
// tls_cert, exec), types the worker registers itself, then plugins.
//
// A type that is neither built in nor registered must be a C++ class name
// ([A-Za-z_][A-Za-z0-9_]*) and is loaded as PLUGINDIR/TYPE.so with
// dlopen(RTLD_NOW | RTLD_LOCAL); see jobs/plugin.h for what the plugin
// defines. A loaded plugin is never unloaded: its code backs the objects
// it made, and a worker process runs one job and exits.
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "jobs/job_base.h"

namespace checker {

using JobFactory = std::function<std::unique_ptr<JobBase>(JobParams, JobRunContext)>;

// Adds a type (e.g. the worker's system jobs, or a fake in a test). Returns
// false, changing nothing, when NAME is already a built-in or registered type.
bool registerJobType(const std::string& name, JobFactory factory);

// True for the built-in and registered types (those that are no plugin).
bool isKnownJobType(const std::string& name);

// Makes the job TYPE with PARAMS, or an Error such as "plugin /dir/Foo.so:
// cannot open shared object file: ..." or "plugin /dir/Foo.so does not
// define class Foo (CHECKER_PLUGIN(Foo) missing)". A registered factory's
// job is returned as it made it (nullptr included). Whatever the job's
// constructor throws passes through.
Result<std::unique_ptr<JobBase>> createJob(const std::string& type, JobParams params, JobRunContext context,
                                           const std::string& pluginDir);

// The spawner of plugin TYPE, for a config "describe" request: nullptr when
// the plugin has none (one job per section), an Error when the plugin cannot
// be loaded. Built-in types expand in the catalogue (config/job_catalog.h)
// and have none.
Result<std::unique_ptr<JobSpawner>> createSpawner(const std::string& type, const std::string& pluginDir);

}  // namespace checker
