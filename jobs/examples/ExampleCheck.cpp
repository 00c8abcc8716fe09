// ExampleCheck: a custom job, built as the plugin ExampleCheck.so.
//
// Checks that a file exists and was modified recently: for instance the
// file a nightly backup touches. Its section:
//
//   [job backup-fresh]
//   type = ExampleCheck
//   path = /var/backups/last-run
//   max_age = 93600            ; seconds (26 hours)
//   every = hour
//
// The class is named after its file, derives from checker::JobBase and is
// registered with CHECKER_PLUGIN(ExampleCheck); see jobs/plugin.h.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "jobs/plugin.h"

class ExampleCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;

  // Leave the schedule and notification settings to the config; a job that
  // knows better would return e.g. "day" or "state_change" here.
  std::string executeEvery() const override { return ""; }

  bool execute() override {
    const std::string* path = param("path");
    if (path == nullptr) return fail("ExampleCheck needs a 'path'");
    long maxAge = std::stol(paramOr("max_age", "86400"));  // throws on garbage: a failed run

    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) return fail(*path + ": " + std::strerror(errno));
    long age = static_cast<long>(std::time(nullptr) - st.st_mtime);
    // A number for the job's history (Nagios performance data's shape):
    // the file's age in seconds, with max_age as the critical threshold.
    reportMeasurement({"age", static_cast<double>(age), "s", "", std::to_string(maxAge), "0", ""});
    if (age > maxAge) {
      return fail(*path + " is " + std::to_string(age) + " s old, more than " + std::to_string(maxAge) + " s",
                  "Has the job that updates it stopped running?");
    }
    return succeed(*path + " is " + std::to_string(age) + " s old");
  }

  // The mail a failure sends: say which server saw it.
  checker::JobNotice onFailure() const override {
    return {"[" + context().serverName + "] " + failureMessage(), details()};
  }
};

CHECKER_PLUGIN(ExampleCheck)
