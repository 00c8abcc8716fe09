#include "jobs/job_registry.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <map>
#include <mutex>

#include "jobs/builtin_jobs.h"
#include "jobs/net_jobs.h"

namespace checker {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, JobFactory, std::less<>> factories;
};

Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry;  // never destroyed: usable from any static destructor
    made->factories = {
        {"tcp", makeTcpJob},
        {"http", [](JobParams p, JobRunContext c) { return makeNetJob("http", std::move(p), std::move(c)); }},
        {"tls_cert", [](JobParams p, JobRunContext c) { return makeNetJob("tls_cert", std::move(p), std::move(c)); }},
        {"exec", makeExecJob},
    };
    return made;
  }();
  return *r;
}

bool isClassName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

using AbiFunction = uint32_t (*)();
using CreateFunction = JobBase* (*)(const JobParams*, const JobRunContext*);
using SpawnerFunction = JobSpawner* (*)();

// Opens PLUGINDIR/TYPE.so and checks that it is a plugin of class TYPE
// built for our ABI: the handle, or an Error naming the file.
Result<void*> openPlugin(const std::string& type, const std::string& pluginDir) {
  if (!isClassName(type)) {
    return Error{"unknown job type '" + type + "' (built in: tcp, http, tls_cert, exec; a plugin type is a C++ class name)"};
  }
  std::string file = pluginDir + "/" + type + ".so";
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 && errno == ENOENT) {
    return Error{"'" + type + "' is not a built-in type (tcp, http, tls_cert, exec) and there is no plugin " + file};
  }
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Error{"plugin " + file + ": " + (why != nullptr ? why : "dlopen failed")};
  }
  auto abi = reinterpret_cast<AbiFunction>(::dlsym(handle, ("checker_plugin_abi_" + type).c_str()));
  auto create = ::dlsym(handle, ("checker_plugin_create_" + type).c_str());
  if (abi == nullptr || create == nullptr) {
    ::dlclose(handle);
    return Error{"plugin " + file + " does not define class " + type + " (CHECKER_PLUGIN(" + type + ") missing)"};
  }
  uint32_t tag = abi();
  if (tag != kJobAbiTag) {
    ::dlclose(handle);
    return Error{"plugin " + file + " was built for job ABI " + std::to_string(tag >> 8) + "." +
                 std::to_string(tag & 0xff) + ", this worker has " + std::to_string(kJobAbiTag >> 8) + "." +
                 std::to_string(kJobAbiTag & 0xff) + " (rebuild the plugin against this version's jobs/job_base.h)"};
  }
  return handle;  // kept open for the life of the process
}

}  // namespace

bool registerJobType(const std::string& name, JobFactory factory) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.factories.emplace(name, std::move(factory)).second;
}

bool isKnownJobType(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.factories.count(name) != 0;
}

Result<std::unique_ptr<JobBase>> createJob(const std::string& type, JobParams params, JobRunContext context,
                                           const std::string& pluginDir) {
  JobFactory factory;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.factories.find(type);
    if (it != r.factories.end()) factory = it->second;
  }
  if (factory) return factory(std::move(params), std::move(context));

  Result<void*> handle = openPlugin(type, pluginDir);
  if (!handle) return Error{handle.error()};
  auto create = reinterpret_cast<CreateFunction>(::dlsym(*handle, ("checker_plugin_create_" + type).c_str()));
  std::unique_ptr<JobBase> job(create(&params, &context));
  if (!job) {
    return Error{"plugin " + pluginDir + "/" + type + ".so: checker_plugin_create_" + type +
                 " returned no job (did its constructor throw?)"};
  }
  return job;
}

Result<std::unique_ptr<JobSpawner>> createSpawner(const std::string& type, const std::string& pluginDir) {
  if (isKnownJobType(type)) return std::unique_ptr<JobSpawner>();
  Result<void*> handle = openPlugin(type, pluginDir);
  if (!handle) return Error{handle.error()};
  auto spawner = reinterpret_cast<SpawnerFunction>(::dlsym(*handle, ("checker_plugin_spawner_" + type).c_str()));
  if (spawner == nullptr) return std::unique_ptr<JobSpawner>();
  return std::unique_ptr<JobSpawner>(spawner());
}

}  // namespace checker
