// Plugins: loading CLASS.so from a plugin directory, the errors when that
// goes wrong, spawners, and a job that throws.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <utime.h>

#include <ctime>

#include "job_test_support.h"
#include "jobs/job_registry.h"
#include "jobs/run_job.h"

namespace checker {
namespace {

using test::contextWithin;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kPlugins = CHECKER_PLUGIN_DIR;
const std::string kTestPlugins = CHECKER_TEST_PLUGIN_DIR;

JobRunOutcome runPlugin(const std::string& type, const JobParams& params, const std::string& dir = kPlugins) {
  return runJob(type, params, contextWithin(std::chrono::seconds(5), "fresh-file"), dir);
}

TEST(JobPlugin, ExampleCheckSucceedsOnAFreshFile) {
  test::TempDir dir;
  std::string path = dir.write("stamp", "x");
  JobRunOutcome out = runPlugin("ExampleCheck", {{"type", "ExampleCheck"}, {"path", path}, {"max_age", "3600"}});
  EXPECT_TRUE(out.ok) << out.message;
  EXPECT_THAT(out.message, StartsWith(path + " is "));
  ASSERT_TRUE(out.recoveryNotice.has_value());
  EXPECT_EQ(out.recoveryNotice->subject, "fresh-file recovered");
  // Its metric through the job API; no latency of its own: its execute() time.
  const JobMeasurement* age = test::findMeasurement(out.measurements, "age");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->unit, "s");
  EXPECT_EQ(age->crit, "3600");
  EXPECT_GE(out.latencyUs, 0);
}

TEST(JobPlugin, ExampleCheckFailsOnAnOldFile) {
  test::TempDir dir;
  std::string path = dir.write("stamp", "x");
  utimbuf twoHoursAgo{std::time(nullptr) - 7200, std::time(nullptr) - 7200};
  ASSERT_EQ(::utime(path.c_str(), &twoHoursAgo), 0);
  JobRunOutcome out = runPlugin("ExampleCheck", {{"path", path}, {"max_age", "3600"}});
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, HasSubstr("s old, more than 3600 s"));
  // Its own onFailure() composes the notice.
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, "[testhost] " + out.message);
  EXPECT_EQ(out.failureNotice->body, "Has the job that updates it stopped running?");
}

TEST(JobPlugin, ExampleCheckFailsOnAMissingFile) {
  JobRunOutcome out = runPlugin("ExampleCheck", {{"path", "/nonexistent/stamp"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "/nonexistent/stamp: No such file or directory");
}

TEST(JobPlugin, ExceptionFromExecuteIsAFailedRun) {
  JobRunOutcome out = runPlugin("ThrowingCheck", {});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "job threw: boom");
  ASSERT_TRUE(out.failureNotice.has_value());
  EXPECT_EQ(out.failureNotice->subject, "job threw: boom");
  // A plugin's exception from its own parsing (std::stol) as well.
  out = runPlugin("ExampleCheck", {{"path", "/"}, {"max_age", "soon"}});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "job threw: stol");
}

TEST(JobPlugin, MissingPluginIsAClearError) {
  JobRunOutcome out = runPlugin("NoSuchCheck", {});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "'NoSuchCheck' is not a built-in type (tcp, http, tls_cert, exec) and there is no plugin " +
                             kPlugins + "/NoSuchCheck.so");
}

TEST(JobPlugin, SharedObjectWithoutFactoryIsAClearError) {
  JobRunOutcome out = runPlugin("NoFactory", {}, kTestPlugins);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message,
            "plugin " + kTestPlugins + "/NoFactory.so does not define class NoFactory (CHECKER_PLUGIN(NoFactory) missing)");
}

TEST(JobPlugin, ClassNameMustMatchTheFileName) {
  test::TempDir dir;
  std::filesystem::copy_file(kPlugins + "/ExampleCheck.so", dir.file("Renamed.so"));
  JobRunOutcome out = runPlugin("Renamed", {}, dir.path());
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.message, "plugin " + dir.file("Renamed.so") +
                             " does not define class Renamed (CHECKER_PLUGIN(Renamed) missing)");
}

TEST(JobPlugin, OtherAbiIsRefused) {
  JobRunOutcome out = runPlugin("WrongAbi", {}, kTestPlugins);
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, StartsWith("plugin " + kTestPlugins + "/WrongAbi.so was built for job ABI 42.1, this worker has " +
                                      std::to_string(kJobAbiVersion) + "."));
}

TEST(JobPlugin, FileThatIsNoSharedObjectGivesTheLoaderError) {
  test::TempDir dir;
  dir.write("Garbage.so", "this is not an ELF file, it is long enough to have a header though........");
  JobRunOutcome out = runPlugin("Garbage", {}, dir.path());
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, StartsWith("plugin " + dir.file("Garbage.so") + ": "));
  EXPECT_THAT(out.message, HasSubstr("invalid ELF header"));
}

TEST(JobPlugin, TypeThatIsNoClassNameIsRefusedBeforeLoading) {
  JobRunOutcome out = runPlugin("../plugins/ExampleCheck", {});
  EXPECT_FALSE(out.ok);
  EXPECT_THAT(out.message, StartsWith("unknown job type '../plugins/ExampleCheck'"));
}

TEST(JobPlugin, SpawnerYieldsOneJobPerTarget) {
  Result<std::unique_ptr<JobSpawner>> made = createSpawner("SpawningCheck", kTestPlugins);
  ASSERT_TRUE(made.ok()) << made.error();
  std::unique_ptr<JobSpawner> spawner = std::move(*made);
  ASSERT_NE(spawner, nullptr);
  std::vector<JobParams> jobs = spawner->getSubJobs({{"type", "SpawningCheck"}, {"items", "one,bad,three"}});
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[1], (JobParams{{"item", "bad"}}));
  EXPECT_TRUE(runPlugin("SpawningCheck", jobs[0], kTestPlugins).ok);
  JobRunOutcome bad = runPlugin("SpawningCheck", jobs[1], kTestPlugins);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.message, "item bad is bad");
}

TEST(JobPlugin, PluginWithoutSpawnerHasNone) {
  Result<std::unique_ptr<JobSpawner>> none = createSpawner("ExampleCheck", kPlugins);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_EQ(*none, nullptr);
  Result<std::unique_ptr<JobSpawner>> builtIn = createSpawner("tcp", kPlugins);
  ASSERT_TRUE(builtIn.ok()) << builtIn.error();
  EXPECT_EQ(*builtIn, nullptr);
  Result<std::unique_ptr<JobSpawner>> broken = createSpawner("NoFactory", kTestPlugins);
  EXPECT_FALSE(broken.ok());
  EXPECT_THAT(broken.error(), HasSubstr("CHECKER_PLUGIN(NoFactory) missing"));
}

TEST(JobPlugin, DescribeFunctionsDefaultToAsConfigured) {
  Result<std::unique_ptr<JobBase>> made = createJob("ExampleCheck", {}, contextWithin(std::chrono::seconds(1)), kPlugins);
  ASSERT_TRUE(made.ok()) << made.error();
  std::unique_ptr<JobBase> job = std::move(*made);
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->executeEvery(), "");
  EXPECT_EQ(job->notifyOnFailureEvery(), "");
  EXPECT_EQ(job->numberFailuresBeforeNotification(), 0u);
}

}  // namespace
}  // namespace checker
