// Who a job's worker becomes (worker_runs/job_user.h, checkerd --job-user):
// the user database lookup, its refusals, the plan it puts in the sandbox,
// and checkerd refusing to start with a user it cannot find.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include "config/job_catalog.h"
#include "worker_runs/job_user.h"
#include "worker_runs/run_request.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

const std::string kBin = CHECKER_BIN_DIR;

TEST(JobUser, DefaultsToNobodyDroppedOnlyByRoot) {
  JobUser user = JobUser::byDefault();
  EXPECT_EQ(user.uid, 65534u);
  EXPECT_EQ(user.gid, 65534u);
  EXPECT_EQ(user.name, "nobody");
  EXPECT_EQ(user.drop, ::geteuid() == 0);
}

TEST(JobUser, LooksUpTheUidAndPrimaryGroup) {
  // daemon (Debian's base-passwd: uid 1, gid 1) is on every Debian system.
  const struct passwd* daemon = ::getpwnam("daemon");
  ASSERT_NE(daemon, nullptr);
  Result<JobUser> found = JobUser::lookup("daemon");
  ASSERT_TRUE(found.ok()) << found.error();
  const JobUser& user = *found;
  EXPECT_EQ(user.uid, daemon->pw_uid);
  EXPECT_EQ(user.gid, daemon->pw_gid);
  EXPECT_EQ(user.name, "daemon");
  EXPECT_EQ(user.drop, ::geteuid() == 0);
  EXPECT_EQ(user.describe(), "daemon (uid " + std::to_string(daemon->pw_uid) + ", gid " +
                                 std::to_string(daemon->pw_gid) + ")");
}

TEST(JobUser, RefusesAnUnknownUserAndRoot) {
  Result<JobUser> unknown = JobUser::lookup("checker-no-such-user");
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "no such user 'checker-no-such-user'");
  Result<JobUser> root = JobUser::lookup("root");
  EXPECT_FALSE(root.ok());
  EXPECT_THAT(root.error(), HasSubstr("jobs never run as root"));
}

TEST(JobUser, IsWhatTheRunsSandboxDropsTo) {
  test::TempDir dir;
  LoadedConfig loaded = loadConfiguration(dir.write("settings.cfg",
      "[general]\nservername = s\nalertcontact = a@example.org\nstatefile = " + dir.file("state") +
      "\n[email]\nnomail = yes\n[job t]\ntype = tcp\ntarget = 127.0.0.1:1\n"));
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(loaded.errors);
  const JobDefinition& job = loaded.jobs.front();
  JobUser user;
  user.drop = true;
  user.uid = 1234;
  user.gid = 5678;
  SandboxPlan plan = planSandbox(nullptr, job, 1, "/work", user);
  EXPECT_TRUE(plan.dropPrivileges);
  EXPECT_EQ(plan.runUid, 1234u);
  EXPECT_EQ(plan.runGid, 5678u);
  EXPECT_TRUE(plan.useNprocLimit) << "no cgroups: RLIMIT_NPROC counts the job user's processes";
  user.drop = false;
  plan = planSandbox(nullptr, job, 2, "/work", user);
  EXPECT_FALSE(plan.dropPrivileges);
  EXPECT_FALSE(plan.useNprocLimit);
}

TEST(CheckerdJobUser, AnUnknownUserIsBadUsageAndNothingStarts) {
  test::TempDir dir;
  std::string cfg = dir.write("settings.cfg", "[general]\nservername = s\nalertcontact = a@example.org\nstatefile = " +
                                                  dir.file("state") + "\n[email]\nnomail = yes\n");
  test::CommandResult result = test::runCommand(kBin + "/checkerd -c " + cfg + " --job-user checker-no-such-user");
  EXPECT_EQ(result.exitCode, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("--job-user: no such user 'checker-no-such-user'; not starting"));
  EXPECT_EQ(::access(dir.file("state").c_str(), F_OK), -1) << "the state was created";
}

}  // namespace
}  // namespace checker
