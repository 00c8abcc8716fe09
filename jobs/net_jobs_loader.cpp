#include <dlfcn.h>
#include <unistd.h>

#include <climits>

#include "common/result.h"
#include "jobs/net_jobs.h"

namespace checker {
namespace {

// Resolved at program start, before the worker's sandbox drops privileges
// (after which /proc/self/exe may no longer be readable).
std::string directoryOfSelf() {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return "/usr/lib/checker";
  path[n] = '\0';
  std::string dir(path);
  return dir.substr(0, dir.rfind('/'));
}
const std::string g_moduleDir = directoryOfSelf();

class UnavailableJob : public JobBase {
 public:
  UnavailableJob(JobParams params, JobRunContext context, std::string why)
      : JobBase(std::move(params), std::move(context)), why_(std::move(why)) {}
  bool execute() override { return fail(why_); }

 private:
  std::string why_;
};

struct NetJobsModule {
  NetJobFactory factory = nullptr;
  void (*setFdWaiter)(FdWaiter) = nullptr;
  std::string loadError;
};

// Loads the module once; its entry points, or why it cannot be had.
const NetJobsModule& loadModule() {
  static NetJobsModule module;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::string path = g_moduleDir + "/" + kNetJobModule;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed: lives as long as the run
    if (handle == nullptr) {
      module.loadError = "cannot load " + path + ": " + ::dlerror();
    } else {
      auto abi = reinterpret_cast<uint32_t (*)()>(::dlsym(handle, kNetJobAbiSymbol));
      module.factory = reinterpret_cast<NetJobFactory>(::dlsym(handle, kNetJobFactorySymbol));
      module.setFdWaiter = reinterpret_cast<void (*)(FdWaiter)>(::dlsym(handle, kNetJobFdWaiterSymbol));
      if (abi == nullptr || module.factory == nullptr || module.setFdWaiter == nullptr || abi() != kJobAbiTag) {
        module.factory = nullptr;
        module.loadError = path + " does not match this worker (rebuild both)";
      }
    }
  }
  return module;
}

Result<NetJobFactory> loadFactory() {
  const NetJobsModule& module = loadModule();
  if (module.factory == nullptr) return Error{module.loadError};
  return module.factory;
}

}  // namespace

Result<> installNetJobsFdWaiter(FdWaiter waiter) {
  const NetJobsModule& module = loadModule();
  if (module.factory == nullptr) return Error{module.loadError};
  module.setFdWaiter(waiter);
  return {};
}

std::unique_ptr<JobBase> makeNetJob(const std::string& type, JobParams params, JobRunContext context) {
  Result<NetJobFactory> factory = loadFactory();
  if (!factory) return std::make_unique<UnavailableJob>(std::move(params), std::move(context), factory.error());
  return std::unique_ptr<JobBase>((*factory)(type.c_str(), &params, &context));
}

}  // namespace checker
