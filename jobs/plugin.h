#pragma once
// Writing a custom job as a plugin.
//
// A plugin is one shared object PLUGINDIR/CLASS.so defining class CLASS,
// derived from checker::JobBase, with a constructor taking
// (checker::JobParams, checker::JobRunContext); as with the original
// Checker, the class is named after its file. Put CHECKER_PLUGIN(CLASS)
// after the class, in the .cpp:
//
//   #include "jobs/plugin.h"
//   class MyCheck : public checker::JobBase {
//    public:
//     using JobBase::JobBase;
//     bool execute() override { return ok() ? true : fail("why", "details"); }
//   };
//   CHECKER_PLUGIN(MyCheck)
//
// One definition, several jobs: add a checker::JobSpawner whose
// getSubJobs() yields the params of each job, and name it with
// CHECKER_PLUGIN_SPAWNER(MyCheck, MyCheckTargets).
//
// How a plugin finds JobBase: it links libchecker_job_api.so (SONAME
// libchecker_job_api.so.1), the small shared library that holds only
// JobBase and JobSpawner (jobs/job_base.h). The worker links the same
// library, so at dlopen() the plugin's dependency is already loaded and
// resolves to it. We chose that over exporting the worker's symbols
// (-rdynamic / ENABLE_EXPORTS) because
//   - a plugin is fully linked when it is built (-Wl,--no-undefined): a
//     missing symbol is a build error, not a dlopen() error in production;
//   - only the job API is visible to plugins, so a plugin's own symbols can
//     never be bound to same-named internals of the worker (or the reverse);
//   - any program that links the library (the worker, the tests) loads
//     plugins the same way, with no special link flags.
// Build outside this tree with:
//   g++ -std=c++20 -fPIC -shared -Wl,--no-undefined -o MyCheck.so MyCheck.cpp
//       -I<checker include dir> -L<dir of libchecker_job_api.so> -lchecker_job_api
// (one command line).
//
// What the macros define (extern "C", so the loader finds them by name):
//   uint32_t checker_plugin_abi_CLASS()      kJobAbiTag this plugin was built with
//   JobBase* checker_plugin_create_CLASS(const JobParams*, const JobRunContext*)
//   JobSpawner* checker_plugin_spawner_CLASS()            (optional)
// The worker refuses a plugin whose ABI tag differs from its own.
// Exceptions may leave execute(), onFailure() and onStateChangeSuccess():
// JobBase's guards (inline, so compiled into the plugin) catch them in the
// plugin's own C++ runtime and make a failed run ("job threw: ..."). A
// constructor that throws makes the factory return nullptr: a failed run.
#include <type_traits>

#include "jobs/job_base.h"

#define CHECKER_PLUGIN(ClassName)                                                                 \
  static_assert(std::is_base_of_v<::checker::JobBase, ClassName>,                                 \
                "CHECKER_PLUGIN(" #ClassName "): the class must derive from checker::JobBase");   \
  extern "C" CHECKER_JOB_API uint32_t checker_plugin_abi_##ClassName() { return ::checker::kJobAbiTag; } \
  extern "C" CHECKER_JOB_API ::checker::JobBase* checker_plugin_create_##ClassName(                \
      const ::checker::JobParams* params, const ::checker::JobRunContext* context) noexcept {     \
    try { /* caught here, in the plugin's own C++ runtime */                                       \
      return new ClassName(*params, *context);                                                    \
    } catch (...) {                                                                               \
      return nullptr;                                                                             \
    }                                                                                             \
  }

#define CHECKER_PLUGIN_SPAWNER(ClassName, SpawnerClass)                                                 \
  static_assert(std::is_base_of_v<::checker::JobSpawner, SpawnerClass>,                                \
                "CHECKER_PLUGIN_SPAWNER(" #ClassName ", " #SpawnerClass "): must derive from JobSpawner"); \
  extern "C" CHECKER_JOB_API ::checker::JobSpawner* checker_plugin_spawner_##ClassName() { return new SpawnerClass(); }
