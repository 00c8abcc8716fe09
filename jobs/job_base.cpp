#include "jobs/job_base.h"

#include <unordered_map>

namespace checker {

namespace {

// What each live job reported, beside the object rather than in it:
// JobBase's layout is the plugin ABI (kJobAbiVersion), and plugins built
// before these calls existed keep loading. One thread uses it (a worker
// runs one job; a probe worker's fibers take turns on one thread).
struct Reported {
  int64_t latencyMicros = -1;
  std::vector<JobMeasurement> measurements;
};

std::unordered_map<const JobBase*, Reported>& measuredBy() {
  static auto* table = new std::unordered_map<const JobBase*, Reported>;  // never destroyed: jobs may outlive statics
  return *table;
}

}  // namespace

JobBase::JobBase(JobParams params, JobRunContext context)
    : params_(std::move(params)), context_(std::move(context)) {}

JobBase::~JobBase() { measuredBy().erase(this); }

std::string JobBase::executeEvery() const { return ""; }

std::string JobBase::notifyOnFailureEvery() const { return ""; }

uint32_t JobBase::numberFailuresBeforeNotification() const { return 0; }

JobNotice JobBase::onFailure() const { return JobNotice{failureMessage_, details_}; }

JobNotice JobBase::onStateChangeSuccess() const {
  return JobNotice{displayName() + " recovered", successMessage_};
}

bool JobBase::fail(std::string message, std::string details) {
  failureMessage_ = std::move(message);
  details_ = std::move(details);
  return false;
}

bool JobBase::failKilledBySignal(int signal, std::string message, std::string details) {
  processSignal_ = signal;
  return fail(std::move(message), std::move(details));
}

bool JobBase::failDeadline(std::string message, std::string details) {
  deadlineExceeded_ = true;
  return fail(std::move(message), std::move(details));
}

bool JobBase::succeed(std::string message, std::string details) {
  successMessage_ = std::move(message);
  details_ = std::move(details);
  return true;
}

const std::string* JobBase::param(std::string_view key) const {
  for (const auto& [k, v] : params_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string JobBase::paramOr(std::string_view key, std::string fallback) const {
  const std::string* value = param(key);
  return value != nullptr ? *value : std::move(fallback);
}

std::chrono::milliseconds JobBase::timeLeft() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(context_.deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

std::string JobBase::displayName() const { return context_.jobName.empty() ? context_.jobId : context_.jobName; }

JobSpawner::~JobSpawner() = default;

void JobBase::reportLatency(std::chrono::microseconds latency) {
  measuredBy()[this].latencyMicros = latency.count() < 0 ? 0 : latency.count();
}

void JobBase::reportMeasurement(JobMeasurement measurement) {
  std::vector<JobMeasurement>& list = measuredBy()[this].measurements;
  for (JobMeasurement& known : list) {
    if (known.name == measurement.name) {
      known = std::move(measurement);
      return;
    }
  }
  list.push_back(std::move(measurement));
}

int64_t JobBase::reportedLatencyMicros() const {
  auto found = measuredBy().find(this);
  return found == measuredBy().end() ? -1 : found->second.latencyMicros;
}

std::vector<JobMeasurement> JobBase::reportedMeasurements() const {
  auto found = measuredBy().find(this);
  return found == measuredBy().end() ? std::vector<JobMeasurement>{} : found->second.measurements;
}

}  // namespace checker
