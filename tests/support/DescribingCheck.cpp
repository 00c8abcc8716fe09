// A plugin that says its own schedule and notification (the seed's
// executeEvery(), notifyOnFailureEvery(), numberFailuresBeforeNotification()),
// for the describe tests. With describe_delay_ms it describes slowly, as a
// plugin that looks something up would (the reload tests).
#include <unistd.h>

#include <string>

#include "jobs/plugin.h"

class DescribingCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;
  std::string executeEvery() const override {
    if (const std::string* delay = param("describe_delay_ms")) ::usleep(static_cast<useconds_t>(std::stoul(*delay)) * 1000);
    return "5m";
  }
  std::string notifyOnFailureEvery() const override { return "hour"; }
  uint32_t numberFailuresBeforeNotification() const override { return 3; }
  bool execute() override { return succeed("described"); }
};

CHECKER_PLUGIN(DescribingCheck)
