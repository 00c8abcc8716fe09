#pragma once
// The job API: the original Checker's JobBase and JobSpawner in C++ names.
// A job runs inside a sandboxed worker process, one run per process
// (docs/architecture.md, "Jobs"); nothing here ever runs in the supervisor.
//
// This header is the whole interface a plugin is compiled against. It is
// built into the small shared library libchecker_job_api.so (see
// jobs/CMakeLists.txt and jobs/plugin.h): the worker and every plugin link
// it, so a plugin finds JobBase's code there and nowhere else. Changing the
// layout or the virtual functions of JobBase or JobSpawner, or JobParams /
// JobRunContext / JobNotice, is an ABI change: bump kJobAbiVersion.
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#define CHECKER_JOB_API __attribute__((visibility("default")))

namespace checker {

// Bumped whenever the types below change in a way a built plugin would
// notice. The C++ library's string ABI is folded in, since std::string
// crosses the boundary.
inline constexpr uint32_t kJobAbiVersion = 1;
#ifdef _GLIBCXX_USE_CXX11_ABI
inline constexpr uint32_t kJobAbiTag = (kJobAbiVersion << 8) | _GLIBCXX_USE_CXX11_ABI;
#else
inline constexpr uint32_t kJobAbiTag = (kJobAbiVersion << 8) | 0x80;  // not libstdc++
#endif

// A job's parameters as the catalogue expands them (config/job_catalog.h),
// in order; keys may repeat only for plugin types (first one wins in param()).
using JobParams = std::vector<std::pair<std::string, std::string>>;

// One mail the job composes; the supervisor's policy decides whether it goes.
struct JobNotice {
  std::string subject;
  std::string body;
};

// A named number a job measured, as a Nagios plugin's performance data
// says it ('label'=value[unit];[warn];[crit];[min];[max]): kept with the
// run in its history. The texts are as the job gave them ("" when absent).
struct JobMeasurement {
  std::string name;
  double value = 0;
  std::string unit;  // "", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"
  std::string warn, crit, min, max;
};

struct JobRunContext {
  std::string jobId;       // identity, e.g. "tcp:10.0.0.5:22"
  std::string jobName;     // section name, "NAME[target]" for spawned jobs
  std::string serverName;  // [general] servername
  // The run's wall-clock deadline; by default 30 s (the `timeout` default)
  // from when the context is made.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
};

class CHECKER_JOB_API JobBase {
 public:
  JobBase(JobParams params, JobRunContext context);
  virtual ~JobBase();
  JobBase(const JobBase&) = delete;
  JobBase& operator=(const JobBase&) = delete;

  // The seed's six functions. The three that describe the job return
  // ""/0 for "as configured in the job's section".
  virtual std::string executeEvery() const;                  // minute, hour, day, day_noon, 30s, 15m, ...
  virtual std::string notifyOnFailureEvery() const;           // every, 5min, 10min, hour, day, state_change
  virtual uint32_t numberFailuresBeforeNotification() const;  // consecutive failures before the first notice
  // Does the work: true on success. On failure call fail("why") first
  // (`return fail("...")`); on success succeed("what was seen") may say more.
  virtual bool execute() = 0;
  // The notice sent when the job failed and the policy says notify.
  // Default: subject = failure message, body = details.
  virtual JobNotice onFailure() const;
  // The notice sent when a failing job recovered. Default: subject
  // "<name> recovered", body = the success message.
  virtual JobNotice onStateChangeSuccess() const;

  // What the worker calls. Inline on purpose: each plugin compiles its own
  // copy into its vtable, so an exception a plugin throws is caught by the
  // plugin's own C++ runtime. The worker carries a static libstdc++ (it
  // starts faster) and cannot catch exceptions from another copy of it.
  virtual bool executeGuarded() noexcept {
    try {
      return execute();
    } catch (const std::exception& e) {
      return fail(std::string("job threw: ") + e.what());
    } catch (...) {
      return fail("job threw something that is not a std::exception");
    }
  }
  // onFailure() / onStateChangeSuccess() behind the same guard; a throwing
  // one yields the default notice.
  virtual JobNotice onFailureGuarded() const noexcept {
    try {
      return onFailure();
    } catch (const std::exception& e) {
      return JobNotice{failureMessage_, details_ + "\n(onFailure: job threw: " + e.what() + ")"};
    } catch (...) {
      return JobNotice{failureMessage_, details_ + "\n(onFailure: job threw something that is not a std::exception)"};
    }
  }
  virtual JobNotice onStateChangeSuccessGuarded() const noexcept {
    try {
      return onStateChangeSuccess();
    } catch (const std::exception& e) {
      return JobNotice{displayName() + " recovered", "(onStateChangeSuccess: job threw: " + std::string(e.what()) + ")"};
    } catch (...) {
      return JobNotice{displayName() + " recovered", "(onStateChangeSuccess: job threw something)"};
    }
  }

  // The three describing functions behind the same guard (for describe).
  virtual bool describeGuarded(std::string* every, std::string* notify, uint32_t* failures,
                               std::string* error) const noexcept {
    try {
      *every = executeEvery();
      *notify = notifyOnFailureEvery();
      *failures = numberFailuresBeforeNotification();
      return true;
    } catch (const std::exception& e) {
      *error = std::string("describing the job threw: ") + e.what();
    } catch (...) {
      *error = "describing the job threw something that is not a std::exception";
    }
    return false;
  }

  const std::string& failureMessage() const { return failureMessage_; }
  const std::string& successMessage() const { return successMessage_; }
  const std::string& details() const { return details_; }
  // What the job measured (reportLatency, reportMeasurement), for the
  // worker's reply: the latency in microseconds, -1 when none was reported.
  int64_t reportedLatencyMicros() const;
  std::vector<JobMeasurement> reportedMeasurements() const;

  // Facts the supervisor classifies by (crashed/limit, timed_out).
  int processSignal() const { return processSignal_; }
  bool deadlineExceeded() const { return deadlineExceeded_; }

 protected:
  // Record why the run failed; returns false, for `return fail(...)`.
  bool fail(std::string message, std::string details = "");
  // Record what a successful run saw; returns true, for `return succeed(...)`.
  bool succeed(std::string message, std::string details = "");
  // A failure because the job's own process (e.g. an exec job's command)
  // was killed by SIGNAL: the run is then `crashed` or `limit`, not `failed`.
  bool failKilledBySignal(int signal, std::string message, std::string details = "");
  // A failure because the run's deadline passed: the run is `timed_out`.
  bool failDeadline(std::string message, std::string details = "");

  // The probe's own latency: how long the watched thing took to answer (a
  // connect, a response, a handshake), apart from the sandboxed run's
  // overhead. Shown as the job's response time; the last call counts.
  void reportLatency(std::chrono::microseconds latency);
  // A named number the job measured; one reported again under the same
  // name replaces it. The supervisor keeps at most 32 per run.
  void reportMeasurement(JobMeasurement measurement);

  const std::string* param(std::string_view key) const;  // nullptr when absent
  std::string paramOr(std::string_view key, std::string fallback) const;
  const JobParams& params() const { return params_; }
  const JobRunContext& context() const { return context_; }
  std::chrono::milliseconds timeLeft() const;  // until the deadline, >= 0
  // The job's name for people: the context's jobName, else its jobId.
  std::string displayName() const;

 private:
  JobParams params_;
  JobRunContext context_;
  std::string failureMessage_;
  std::string successMessage_;
  std::string details_;
  int processSignal_ = 0;
  bool deadlineExceeded_ = false;
};

// One definition, several jobs (one per target): a plugin's spawner yields
// the parameters of each job it stands for. The worker answers a config
// "describe" request with them; identity args of each sub-job are the
// values of its entry, in order.
class CHECKER_JOB_API JobSpawner {
 public:
  JobSpawner() = default;
  virtual ~JobSpawner();
  JobSpawner(const JobSpawner&) = delete;
  JobSpawner& operator=(const JobSpawner&) = delete;

  virtual std::vector<JobParams> getSubJobs(const JobParams& sectionParams) = 0;
  // getSubJobs() behind a guard compiled into the plugin (see JobBase).
  virtual bool getSubJobsGuarded(const JobParams& sectionParams, std::vector<JobParams>* jobs,
                                 std::string* error) noexcept {
    try {
      *jobs = getSubJobs(sectionParams);
      return true;
    } catch (const std::exception& e) {
      *error = std::string("getSubJobs threw: ") + e.what();
    } catch (...) {
      *error = "getSubJobs threw something that is not a std::exception";
    }
    return false;
  }
};

}  // namespace checker
