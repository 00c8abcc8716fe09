// A plugin that says its own schedule and notification (the seed's
// executeEvery(), notifyOnFailureEvery(), numberFailuresBeforeNotification()),
// for the describe tests. With describe_delay_ms it describes slowly, as a
// plugin that looks something up would (the reload tests). With
// describe_marker = FILE it appends a line to FILE each time it is
// described, so a test sees whether a worker ran it (the status tests).
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "jobs/plugin.h"

class DescribingCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;
  std::string executeEvery() const override {
    if (const std::string* delay = param("describe_delay_ms")) ::usleep(static_cast<useconds_t>(std::stoul(*delay)) * 1000);
    if (const std::string* marker = param("describe_marker")) {
      int fd = ::open(marker->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
      if (fd >= 0) {
        (void)!::write(fd, "described\n", 10);
        ::close(fd);
      }
    }
    return "5m";
  }
  std::string notifyOnFailureEvery() const override { return "hour"; }
  uint32_t numberFailuresBeforeNotification() const override { return 3; }
  bool execute() override { return succeed("described"); }
};

CHECKER_PLUGIN(DescribingCheck)
