// A channel's group_wait through a real checkerd and its real mailer to a
// loopback webhook receiver (issue 18): five jobs that fail within a
// second reach a channel with group_wait as ONE signed POST listing all
// five; their recoveries likewise; while a channel without group_wait
// gets one POST per job, as before.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "channels/webhook_payload.h"
#include "support/daemon_process.h"
#include "support/http_receiver.h"
#include "support/loopback_ports.h"
#include "support/temp_dir.h"

namespace checker::test {
namespace {

using namespace std::chrono_literals;

const std::string kBin = CHECKER_BIN_DIR;
constexpr int kJobs = 5;

// The job names in a group POST's notices with STATE.
std::set<std::string> namesIn(const nlohmann::json& group, const std::string& state) {
  std::set<std::string> names;
  for (const nlohmann::json& notice : group["notices"]) {
    if (notice["state"] == state) names.insert(notice["job"]["name"].get<std::string>());
  }
  return names;
}

TEST(ChannelGroups, JobsFailingTogetherAreOneNoticeToAGroupingChannelAndOneEachToAnother) {
  TempDir dir;
  HttpReceiver grouped, single;
  std::vector<uint16_t> targets;
  std::string jobs;
  std::set<std::string> names;
  for (int i = 0; i < kJobs; ++i) {
    targets.push_back(closedLoopbackPort());
    names.insert("db" + std::to_string(i));
    jobs += "[job db" + std::to_string(i) + "]\ntype = tcp\ntarget = 127.0.0.1:" + std::to_string(targets.back()) +
            "\nevery = 1s\n";
  }
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = group-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
          "\nnotify_to = grouped, single\n"
          "[email]\nnomail = yes\n"
          "[channel grouped]\ntype = webhook\nurl = " + grouped.url("/g") + "\nsecret = s3cret\ngroup_wait = 3s\n"
          "[channel single]\ntype = webhook\nurl = " + single.url("/s") + "\n" + jobs);
  DaemonProcess checkerd({kBin + "/checkerd", "-c", config});

  // The channel without group_wait: one POST per job, at once.
  std::vector<ReceivedRequest> each = single.waitFor(kJobs, 30s);
  checkerd.drain();
  ASSERT_EQ(each.size(), static_cast<size_t>(kJobs)) << ::testing::PrintToString(checkerd.lines());
  for (const ReceivedRequest& r : each) EXPECT_FALSE(nlohmann::json::parse(r.body).value("group", false));

  // The grouping one: the five failures in one signed POST.
  std::vector<ReceivedRequest> got = grouped.waitFor(1, 30s);
  ASSERT_EQ(got.size(), 1u) << ::testing::PrintToString(checkerd.lines());
  std::string timestamp = got[0].header("x-checker-timestamp");
  EXPECT_EQ(got[0].header("x-checker-signature"), channels::webhookSignature("s3cret", timestamp, got[0].body));
  nlohmann::json failures = nlohmann::json::parse(got[0].body);
  EXPECT_TRUE(failures.value("group", false)) << got[0].body;
  EXPECT_EQ(namesIn(failures, "failing"), names) << got[0].body;
  EXPECT_FALSE(checkerd.waitForLine("5 entries for channel grouped sent as one notice", 5s).empty());

  // All five recover: one POST with five recoveries.
  std::vector<UniqueFd> listeners;
  for (uint16_t port : targets) {
    listeners.push_back(listenOnLoopback(port));
    ASSERT_TRUE(listeners.back().valid());
  }
  got = grouped.waitFor(2, 30s);
  ASSERT_EQ(got.size(), 2u) << ::testing::PrintToString(checkerd.lines());
  nlohmann::json recoveries = nlohmann::json::parse(got[1].body);
  EXPECT_EQ(namesIn(recoveries, "recovered"), names) << got[1].body;
  EXPECT_EQ(single.waitFor(2 * kJobs, 20s).size(), static_cast<size_t>(2 * kJobs)) << "one recovery each";
  EXPECT_EQ(grouped.received().size(), 2u) << "nothing more to the grouping channel";
}

}  // namespace
}  // namespace checker::test

namespace checker::test {
namespace {

// An email channel with group_wait: one mail for the jobs failing
// together, its subject counting them (nomail: the mailer logs what it
// would send); the mail to alertcontact stays one per job.
TEST(ChannelGroups, AnEmailChannelGetsOneMailForJobsFailingTogether) {
  TempDir dir;
  std::string jobs;
  for (int i = 0; i < 3; ++i) {
    jobs += "[job web" + std::to_string(i) + "]\ntype = tcp\ntarget = 127.0.0.1:" +
            std::to_string(closedLoopbackPort()) + "\nevery = 1s\n";
  }
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = mail-group\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
          "\nnotify_to = team, email\n"
          "[email]\nnomail = yes\n"
          "[channel team]\ntype = email\nto = team@example.org\ngroup_wait = 3s\n" + jobs);
  DaemonProcess checkerd({kBin + "/checkerd", "-c", config});
  std::string grouped = checkerd.waitForLine("to team@example.org: [mail-group] 3 jobs failing", 30s);
  EXPECT_FALSE(grouped.empty()) << ::testing::PrintToString(checkerd.lines());
  EXPECT_FALSE(checkerd.waitForLine("3 entries for channel team sent as one notice", 5s).empty());
  size_t toTeam = 0, toAdmin = 0;
  for (const std::string& line : checkerd.lines()) {
    toTeam += line.find("would send entry") != std::string::npos && line.find("to team@example.org") != std::string::npos;
    toAdmin += line.find("would send entry") != std::string::npos && line.find("to admin@example.org") != std::string::npos;
  }
  EXPECT_EQ(toTeam, 1u) << ::testing::PrintToString(checkerd.lines());
  EXPECT_EQ(toAdmin, 3u) << "alertcontact's mail is one per job";
}

}  // namespace
}  // namespace checker::test
