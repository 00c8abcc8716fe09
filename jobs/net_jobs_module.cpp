// checker-net-jobs.so: the http and tls_cert job types (jobs/net_jobs.h).
#include "jobs/builtin_jobs.h"
#include "jobs/net_connect.h"
#include "jobs/net_jobs.h"

extern "C" CHECKER_JOB_API uint32_t checker_net_job_abi() { return checker::kJobAbiTag; }

extern "C" CHECKER_JOB_API checker::JobBase* checker_net_job_create(const char* type, const checker::JobParams* params,
                                                                     const checker::JobRunContext* context) {
  std::string name = type;
  if (name == "http") return checker::makeHttpJob(*params, *context).release();
  if (name == "tls_cert") return checker::makeTlsCertJob(*params, *context).release();
  return nullptr;
}

// A probe worker's waiter for this module's own copy of jobs/net_connect.
extern "C" CHECKER_JOB_API void checker_net_set_fd_waiter(checker::FdWaiter waiter) { checker::setFdWaiter(waiter); }
