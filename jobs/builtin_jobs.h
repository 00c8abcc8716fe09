#pragma once
// The built-in job types, one file each; they take exactly the params the
// catalogue gives them (config/job_catalog.h):
//   tcp       host, port, connect_timeout_ms            (tcp_job.cpp)
//   http      url, expect_status, [expect_body], [cafile] (http_job.cpp)
//   tls_cert  host, port, warn_days, [cafile]            (tls_cert_job.cpp)
//   exec      command, shell (yes/no)                    (exec_job.cpp)
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jobs/job_base.h"

namespace checker {

std::unique_ptr<JobBase> makeTcpJob(JobParams params, JobRunContext context);
std::unique_ptr<JobBase> makeHttpJob(JobParams params, JobRunContext context);
std::unique_ptr<JobBase> makeTlsCertJob(JobParams params, JobRunContext context);
std::unique_ptr<JobBase> makeExecJob(JobParams params, JobRunContext context);

// A duration as a named number in milliseconds (fractional), as the
// built-in types report their timings.
JobMeasurement milliseconds(std::string name, std::chrono::microseconds duration);

// Parses a decimal number in [0, max]; false on anything else.
bool parseUnsigned(std::string_view text, uint64_t max, uint64_t& out);

// The base of the built-in types: reading the params the catalogue gives.
// A missing or malformed param is a failed run saying which (a worker fed
// by the catalogue never sees one).
class BuiltinJob : public JobBase {
 public:
  using JobBase::JobBase;

 protected:
  // The value of KEY, or nullptr after fail("missing parameter 'KEY'").
  const std::string* required(std::string_view key);
  // KEY as a number in [min, max]; false after fail(...) when it is not.
  bool number(std::string_view key, uint64_t min, uint64_t max, uint64_t& out);
};

}  // namespace checker
