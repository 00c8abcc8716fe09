// checkerd's book of what quiets a job (supervisor/silence_book.h):
// silences by job, glob, tag or all, their bounds, their expiry on a fake
// clock, maintenance windows of the config, and what a reopened state keeps.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <capnp/message.h>

#include <climits>
#include <memory>

#include "config/config.h"
#include "config/job_catalog.h"
#include "supervisor/silence_book.h"
#include "support/temp_dir.h"

namespace checker {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr int64_t kNow = 1'795'894'400'000;  // 2026-11-28 (a Saturday), 19:33:20 UTC

class FakeClock final : public Clock {
 public:
  int64_t wall = kNow;
  int64_t wallMs() override { return wall; }
  uint64_t monoMs() override { return 0; }
};

// A config with jobs web (tags frontend, eu), db (tag backend) and, after
// EXTRA, the email self-check.
struct Fixture {
  explicit Fixture(const std::string& extra = "") {
    ConfigLoad load = parseConfigText(
        "[general]\nservername = s\nalertcontact = a@example.org\n[email]\nnomail = yes\n"
        "[job web]\ntype = exec\ncommand = /bin/true\ntags = frontend, eu\n"
        "[job db]\ntype = exec\ncommand = /bin/true\ntags = backend\n" + extra,
        "/etc/checker/t.cfg");
    EXPECT_TRUE(load.ok()) << ::testing::PrintToString(load.errors);
    config = load.config;
    jobs = planJobs(config).jobs;
    store = std::make_unique<StateStore>(StateStore::openForWriting(dir.file("state")));
    book = std::make_unique<SilenceBook>(clock, config, *store);
    book->load();
    book->setOnChange([this] { ++changes; });
  }
  const JobDefinition& job(const std::string& name) const {
    for (const JobDefinition& j : jobs) {
      if (j.name() == name) return j;
    }
    throw std::runtime_error("no job " + name);
  }
  ControlAnswer silence(ipc::SilenceKind kind, const std::string& value, int64_t durationMs,
                        const std::string& reason = "deploy") {
    capnp::MallocMessageBuilder message;
    auto request = message.initRoot<ipc::SilenceRequest>();
    request.setKind(kind);
    request.setValue(value);
    request.setDurationMs(durationMs);
    request.setReason(reason);
    return book->onSilenceRequest(request.asReader(), 1000);
  }
  // Reopens the state and the book, as a restarted checkerd does.
  void restart() {
    book.reset();
    store.reset();
    store = std::make_unique<StateStore>(StateStore::openForWriting(dir.file("state")));
    book = std::make_unique<SilenceBook>(clock, config, *store);
    book->load();
  }

  test::TempDir dir;
  FakeClock clock;
  Config config;
  std::vector<JobDefinition> jobs;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<SilenceBook> book;
  int changes = 0;
};

TEST(SilenceBook, AJobSilenceQuietsThatJobUntilItEnds) {
  Fixture f;
  ControlAnswer added = f.silence(ipc::SilenceKind::JOB, "we*", 2 * kHour);
  ASSERT_TRUE(added.ok) << added.message;
  EXPECT_EQ(added.message, "silence 1: we* until 2026-11-28 21:33 UTC (deploy)");
  EXPECT_EQ(f.changes, 1);
  std::optional<SilenceBook::Quiet> quiet = f.book->quietOf(f.job("web"), kNow);
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->reason, "silence 1 until 2026-11-28 21:33 UTC: deploy");
  EXPECT_EQ(quiet->untilUnixMs, kNow + 2 * kHour);
  EXPECT_FALSE(f.book->quietOf(f.job("db"), kNow));
  EXPECT_EQ(f.book->nextChangeAfter(kNow), kNow + 2 * kHour);
  EXPECT_TRUE(f.book->quietOf(f.job("web"), kNow + 2 * kHour - 1));
  EXPECT_FALSE(f.book->quietOf(f.job("web"), kNow + 2 * kHour)) << "expired by itself";
  EXPECT_EQ(f.book->nextChangeAfter(kNow + 2 * kHour), INT64_MAX);
  f.clock.wall = kNow + 2 * kHour;
  EXPECT_THAT(f.book->onSilencesRequest().message, HasSubstr("\"silences\": []"));
  f.restart();
  EXPECT_TRUE(f.book->activeSilences(0).empty()) << "purged from the state at start";
}

TEST(SilenceBook, TagAndAllSelectAndTheLastEndingWins) {
  Fixture f;
  ASSERT_TRUE(f.silence(ipc::SilenceKind::TAG, "backend", kHour, "db upgrade").ok);
  ASSERT_TRUE(f.silence(ipc::SilenceKind::ALL, "", 3 * kHour, "move").ok);
  ASSERT_TRUE(f.silence(ipc::SilenceKind::TAG, "backend", 2 * kHour, "longer").ok);
  EXPECT_THAT(f.book->quietOf(f.job("web"), kNow)->reason, HasSubstr("silence 2 until"));
  EXPECT_THAT(f.book->quietOf(f.job("email self-check"), kNow)->reason, HasSubstr("silence 2 until"));
  EXPECT_EQ(f.book->quietOf(f.job("db"), kNow)->untilUnixMs, kNow + 3 * kHour);
  EXPECT_EQ(f.book->nextChangeAfter(kNow), kNow + kHour);
  ControlAnswer removed = f.book->onUnsilenceRequest(2);
  EXPECT_TRUE(removed.ok);
  EXPECT_THAT(removed.message, StartsWith("removed silence 2: all jobs until"));
  EXPECT_EQ(f.changes, 4);
  EXPECT_FALSE(f.book->quietOf(f.job("web"), kNow));
  EXPECT_EQ(f.book->quietOf(f.job("db"), kNow)->reason, "silence 3 until 2026-11-28 21:33 UTC: longer");
  EXPECT_FALSE(f.book->onUnsilenceRequest(2).ok);
  EXPECT_THAT(f.book->onUnsilenceRequest(77).message, HasSubstr("no active silence 77"));
}

TEST(SilenceBook, RequestsOutOfBoundsAreRefusedWithWhy) {
  Fixture f;
  EXPECT_EQ(f.silence(ipc::SilenceKind::JOB, "web", 30'000).message, "a silence lasts from 1m to 90d, not 30s");
  EXPECT_FALSE(f.silence(ipc::SilenceKind::JOB, "web", 91 * kDay).ok);
  EXPECT_FALSE(f.silence(ipc::SilenceKind::JOB, "web", -5).ok);
  EXPECT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", kMinute).ok);
  EXPECT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", 90 * kDay).ok);
  EXPECT_EQ(f.silence(ipc::SilenceKind::JOB, "web", kHour, std::string(501, 'x')).message,
            "the reason is 501 bytes; at most 500");
  EXPECT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", kHour, std::string(500, 'x')).ok);
  EXPECT_THAT(f.silence(ipc::SilenceKind::JOB, "web", kHour, "  ").message, HasSubstr("needs a reason"));
  EXPECT_FALSE(f.silence(ipc::SilenceKind::JOB, "", kHour).ok);
  EXPECT_FALSE(f.silence(ipc::SilenceKind::JOB, "web\nx", kHour).ok);
  EXPECT_FALSE(f.silence(ipc::SilenceKind::JOB, std::string(129, 'w'), kHour).ok);
  EXPECT_THAT(f.silence(ipc::SilenceKind::TAG, "a b", kHour).message, HasSubstr("is not a tag name"));
  EXPECT_FALSE(f.silence(ipc::SilenceKind::ALL, "web", kHour).ok);
  EXPECT_EQ(f.book->activeSilences(kNow).size(), 3u) << "only the three in bounds";
}

TEST(SilenceBook, AtMostAThousandAtOnce) {
  Fixture f;
  for (size_t i = f.book->activeSilences(kNow).size(); i < kMaxActiveSilences; ++i) {
    ASSERT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", kHour + static_cast<int64_t>(i)).ok);
  }
  ControlAnswer refused = f.silence(ipc::SilenceKind::JOB, "web", 2 * kHour);
  EXPECT_FALSE(refused.ok);
  EXPECT_THAT(refused.message, HasSubstr("already 1000 silences active"));
  f.clock.wall = kNow + kHour + 500;  // half of them expired
  EXPECT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", 2 * kHour).ok);
  std::string listed = f.book->onSilencesRequest().message;
  EXPECT_LT(listed.size(), size_t{1} << 20);
}

TEST(SilenceBook, SilencesSurviveARestartAndIdsAreNotReused) {
  Fixture f;
  ASSERT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", kHour, "one").ok);
  ASSERT_TRUE(f.silence(ipc::SilenceKind::JOB, "db", kHour, "two").ok);
  ASSERT_TRUE(f.book->onUnsilenceRequest(2).ok);
  f.restart();
  std::vector<Silence> kept = f.book->activeSilences(kNow);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, 1u);
  EXPECT_EQ(kept[0].uid, 1000);
  EXPECT_EQ(f.silence(ipc::SilenceKind::JOB, "db", kHour).message.substr(0, 10), "silence 3:");
  EXPECT_THAT(f.book->onSilencesRequest().message,
              HasSubstr("{\"id\": 1, \"kind\": \"job\", \"value\": \"web\", \"selector\": \"web\", \"reason\": \"one\", "
                        "\"created_unix_ms\": 1795894400000, \"ends_unix_ms\": 1795898000000, \"uid\": 1000}"));
}

TEST(SilenceBook, MaintenanceWindowsOfTheConfigQuietTheirJobs) {
  // Saturdays 20:00-23:00 Berlin (19:00-22:00 UTC in November), for tag eu.
  Fixture f("[maintenance saturday]\ndays = sat\nfrom = 20:00\nto = 23:00\ntimezone = Europe/Berlin\ntags = eu\n");
  std::optional<SilenceBook::Quiet> quiet = f.book->quietOf(f.job("web"), kNow);
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->reason, "maintenance saturday until 2026-11-28 23:00 Europe/Berlin");
  EXPECT_EQ(quiet->untilUnixMs, kNow + 2 * kHour + 26 * kMinute + 40'000);  // 22:00 UTC
  EXPECT_FALSE(f.book->quietOf(f.job("db"), kNow));
  EXPECT_EQ(f.book->nextChangeAfter(kNow), quiet->untilUnixMs);
  ASSERT_TRUE(f.silence(ipc::SilenceKind::JOB, "web", 3 * kHour, "longer").ok);
  EXPECT_THAT(f.book->quietOf(f.job("web"), kNow)->reason, StartsWith("silence 1 until")) << "ends later";
  EXPECT_EQ(f.book->nextChangeAfter(kNow), quiet->untilUnixMs) << "the window ends first";
  EXPECT_TRUE(f.book->quietOf(f.job("web"), kNow + 3 * kHour - 1));
  EXPECT_FALSE(f.book->quietOf(f.job("web"), kNow + 3 * kHour));
}

}  // namespace
}  // namespace checker
