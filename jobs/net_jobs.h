#pragma once
// The job types that need libcurl and OpenSSL (http, tls_cert) live in a
// module of their own, checker-net-jobs.so, beside the worker. The worker
// loads it on the first run of such a job: a tcp, exec or plugin run does
// not pay for loading libcurl's ~30 libraries (about 4 ms on every exec of
// the worker, when it was linked in; see BENCHMARKS.md).
#include <memory>
#include <string>

#include "common/result.h"
#include "jobs/job_base.h"
#include "jobs/net_connect.h"

namespace checker {

// Makes an http or tls_cert job from the module. When the module cannot be
// loaded, the job returned fails with the reason.
std::unique_ptr<JobBase> makeNetJob(const std::string& type, JobParams params, JobRunContext context);

// The module's entry point, and the ABI tag it was built with.
extern "C" using NetJobFactory = JobBase* (*)(const char* type, const JobParams*, const JobRunContext*);
inline constexpr const char* kNetJobModule = "checker-net-jobs.so";
inline constexpr const char* kNetJobFactorySymbol = "checker_net_job_create";
inline constexpr const char* kNetJobAbiSymbol = "checker_net_job_abi";
inline constexpr const char* kNetJobFdWaiterSymbol = "checker_net_set_fd_waiter";

// Loads the module now (a probe worker, before its first probe) and gives
// it WAITER (jobs/net_connect.h), which the module keeps a copy of its own.
// An Error when the module cannot be loaded.
Result<> installNetJobsFdWaiter(FdWaiter waiter);

}  // namespace checker
