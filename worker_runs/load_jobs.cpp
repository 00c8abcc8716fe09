#include "worker_runs/load_jobs.h"

#include "worker_runs/plugin_describe.h"

namespace checker {

LoadedConfig loadJobs(const std::string& path, const PluginDescriber& describer) {
  LoadedConfig loaded = loadConfiguration(path);
  if (loaded.ok()) describePluginJobs(loaded, describer.workerPath, describer.user);
  return loaded;
}

}  // namespace checker
