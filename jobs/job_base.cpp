#include "jobs/job_base.h"

namespace checker {

JobBase::JobBase(JobParams params, JobRunContext context)
    : params_(std::move(params)), context_(std::move(context)) {}

JobBase::~JobBase() = default;

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

}  // namespace checker
