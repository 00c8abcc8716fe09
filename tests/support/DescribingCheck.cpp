// A plugin that says its own schedule and notification (the seed's
// executeEvery(), notifyOnFailureEvery(), numberFailuresBeforeNotification()),
// for the describe tests.
#include "jobs/plugin.h"

class DescribingCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;
  std::string executeEvery() const override { return "5m"; }
  std::string notifyOnFailureEvery() const override { return "hour"; }
  uint32_t numberFailuresBeforeNotification() const override { return 3; }
  bool execute() override { return succeed("described"); }
};

CHECKER_PLUGIN(DescribingCheck)
