// The sandbox keys every job section takes (config/sandbox_keys.h):
// writable_paths, scratch_size, capabilities; each bad value is a
// FILE:LINE error naming the section and key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/job_catalog.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kJob =
    "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n[job x]\ntype=exec\ncommand=/bin/true\n";
// The first sandbox key is on line 9.

JobPlan plan(const std::string& keys) { return planJobs(parseConfigText(kJob + keys, "/etc/checker/t.cfg").config); }

TEST(SandboxKeys, DefaultsGrantNothing) {
  JobPlan p = plan("");
  ASSERT_TRUE(p.ok()) << ::testing::PrintToString(p.errors);
  EXPECT_THAT(p.jobs[0].sandbox().writablePaths, IsEmpty());
  EXPECT_THAT(p.jobs[0].sandbox().capabilities, IsEmpty());
  EXPECT_EQ(p.jobs[0].sandbox().scratchBytes, 64ull << 20);
}

TEST(SandboxKeys, AreReadForEveryType) {
  JobPlan p = plan("writable_paths = /var/lib, /usr/local\nscratch_size = 8M\ncapabilities = net_raw\n");
  ASSERT_TRUE(p.ok()) << ::testing::PrintToString(p.errors);
  EXPECT_THAT(p.jobs[0].sandbox().writablePaths, ElementsAre("/var/lib", "/usr/local"));
  EXPECT_EQ(p.jobs[0].sandbox().scratchBytes, 8ull << 20);
  EXPECT_THAT(p.jobs[0].sandbox().capabilities, ElementsAre("net_raw"));
  ConfigLoad tcp = parseConfigText(
      "[general]\nservername=s\nalertcontact=a@example.org\n[email]\nnomail=true\n[job t]\ntype=tcp\ntarget=h:1\n"
      "capabilities=net_raw\n",
      "/etc/checker/t.cfg");
  JobPlan tp = planJobs(tcp.config);
  ASSERT_TRUE(tp.ok()) << ::testing::PrintToString(tp.errors);
  EXPECT_THAT(tp.jobs[0].sandbox().capabilities, ElementsAre("net_raw"));
}

TEST(SandboxKeys, BadValuesNameLineSectionAndKey) {
  EXPECT_THAT(plan("capabilities = net_raw, sys_admin\n").errors,
              ElementsAre(HasSubstr("t.cfg:9: [job x] capabilities: unknown capability 'sys_admin' (a job may ask only for net_raw)")));
  EXPECT_THAT(plan("writable_paths = var/lib/foo\n").errors,
              ElementsAre(HasSubstr("t.cfg:9: [job x] writable_paths: 'var/lib/foo' is not an absolute path")));
  EXPECT_THAT(plan("writable_paths = /\n").errors, ElementsAre(HasSubstr("t.cfg:9: [job x] writable_paths: '/' would make")));
  EXPECT_THAT(plan("writable_paths = /var/lib/../../etc\n").errors,
              ElementsAre(HasSubstr("t.cfg:9: [job x] writable_paths: '/var/lib/../../etc' is not a normalised path")));
  EXPECT_THAT(plan("writable_paths = /tmp/spool\n").errors,
              ElementsAre(HasSubstr("t.cfg:9: [job x] writable_paths: '/tmp/spool' is under /proc, /sys, /dev, /tmp or /var/tmp")));
  EXPECT_THAT(plan("writable_paths = /var/lib, /var/lib\n").errors,
              ElementsAre(HasSubstr("t.cfg:9: [job x] writable_paths: '/var/lib' is listed twice")));
  EXPECT_THAT(plan("scratch_size = 10K\n").errors, ElementsAre(HasSubstr("t.cfg:9: [job x] scratch_size: the scratch must be at least 1M")));
  EXPECT_THAT(plan("scratch_size = lots\n").errors, ElementsAre(HasSubstr("t.cfg:9: [job x] scratch_size:")));
}

TEST(SandboxKeys, AMissingPathIsAWarning) {
  JobPlan p = plan("writable_paths = /nonexistent/checker-grant\n");
  EXPECT_TRUE(p.ok()) << ::testing::PrintToString(p.errors);
  EXPECT_THAT(p.warnings, ElementsAre(HasSubstr("t.cfg:9: warning: [job x] writable_paths: /nonexistent/checker-grant does not exist")));
}

TEST(SandboxKeys, APluginSectionDoesNotPassThemToThePlugin) {
  test::TempDir dir;
  dir.write("MyCheck.so", "not really a shared object");
  ConfigLoad load = parseConfigText(std::string("[general]\nservername=s\nalertcontact=a@b.org\nplugindir=") + dir.path() +
                                        "\n[email]\nnomail=1\n[job mine]\ntype=MyCheck\nanything=goes\ncapabilities=net_raw\n",
                                    "/etc/checker/t.cfg");
  JobPlan p = planJobs(load.config);
  ASSERT_TRUE(p.ok()) << ::testing::PrintToString(p.errors);
  EXPECT_THAT(p.jobs[0].params(), ElementsAre(std::pair<std::string, std::string>{"anything", "goes"}));
  EXPECT_THAT(p.jobs[0].sandbox().capabilities, ElementsAre("net_raw"));
}

}  // namespace
}  // namespace checker
