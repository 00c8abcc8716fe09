// checker-bench-chaos: kill -9 the whole checkerd tree at random moments
// under load, restart it each time, and prove that the state always opens
// and that every alert that was due reached the inboxes.
//
//   1. Starts the real mail servers of tests/mail (OpenSMTPD + Dovecot, in a
//      temporary directory) and writes a config with load (chaos_jobs.h):
//      jobs every 1-2 s, some always failing, some flapping, some healthy;
//      alerts to two mailbox users, through a forwarder that slows the
//      submission server's answers (slow_link.h); [peerd] on 127.0.0.1:0.
//   2. KILLS times: starts checkerd; when it reaches "scheduling", checks
//      that no error about the state was logged and that `checker status
//      --json` reads the state; at a moment of a seeded plan (chaos_run.h:
//      during the start, just after it, just after a notice was queued or
//      a delivery answered, or anywhere) sends SIGKILL to its process group (checkerd,
//      mailer, peerd, worker launcher) and to every descendant (workers,
//      their commands) at once; then opens the state read-only and decodes
//      every value in it (state_ledger.h), collecting the runs and the
//      outbox entries it holds.
//   3. Restarts checkerd once more with only the healthy jobs and lets it
//      run until the outbox is empty; stops it with SIGTERM.
//   4. Reads both inboxes over IMAPS and matches them against the notices
//      due (expected_notices.h: every notice the recorded runs imply; and
//      every outbox entry seen at a kill).
// Prints a line per kill and the counts; exits 1 if a due notice is missing
// from an inbox, the state did not open clean or checkerd ended other than
// by the kill, 2 on bad usage.
// Loopback only. Needs root (OpenSMTPD) and packaging/install-deps --test.
//
// Usage: checker-bench-chaos [--kills N] [--seed S] [--smtp-delay-ms MS] [--keep]
//   --kills (100), --seed (random, printed), --smtp-delay-ms (25: each answer
//   of the submission server is held back that long, slow_link.h), --keep
//   (keep the directory with the logs, state and mailboxes; kept anyway on FAIL)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/chaos/chaos_jobs.h"
#include "bench/chaos/chaos_run.h"
#include "bench/chaos/expected_notices.h"
#include "bench/chaos/inbox_check.h"
#include "bench/chaos/slow_link.h"
#include "bench/chaos/state_ledger.h"
#include "support/mail_fixture.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSender = 1;
const std::vector<int> kRecipients = {12, 13};  // tests/mail/CMakeLists.txt lists who uses which
struct Options {
  int kills = 100;
  uint64_t seed = 0;
  bool seedGiven = false;
  bool keep = false;
  int smtpDelayMs = 25;
};

bool parseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    bool hasValue = i + 1 < argc;
    if (std::strcmp(argv[i], "--kills") == 0 && hasValue) {
      o.kills = std::atoi(argv[++i]);
      if (o.kills < 1) return false;
    } else if (std::strcmp(argv[i], "--seed") == 0 && hasValue) {
      o.seed = std::strtoull(argv[++i], nullptr, 10);
      o.seedGiven = true;
    } else if (std::strcmp(argv[i], "--smtp-delay-ms") == 0 && hasValue) {
      o.smtpDelayMs = std::atoi(argv[++i]);
      if (o.smtpDelayMs < 0) return false;
    } else if (std::strcmp(argv[i], "--keep") == 0) {
      o.keep = true;
    } else {
      return false;
    }
  }
  return true;
}

// The mail servers of tests/mail in DIR, stopped when this goes.
class MailServers {
 public:
  explicit MailServers(std::string dir) : dir_(std::move(dir)) {
    std::string start = std::string("bash ") + CHECKER_MAIL_SERVERS_SCRIPT + " start " + dir_ + " >" + dir_ + ".log 2>&1";
    if (std::system(start.c_str()) != 0) {
      throw std::runtime_error("could not start the mail servers (root? packaging/install-deps --test); see " + dir_ +
                               ".log");
    }
  }
  ~MailServers() {
    std::string stop = std::string("bash ") + CHECKER_MAIL_SERVERS_SCRIPT + " stop " + dir_ + " >>" + dir_ + ".log 2>&1";
    if (std::system(stop.c_str()) != 0) std::fprintf(stderr, "checker-bench-chaos: stopping the mail servers failed\n");
  }
  MailServers(const MailServers&) = delete;
  MailServers& operator=(const MailServers&) = delete;

 private:
  std::string dir_;
};

std::vector<InboxReport> readInboxes(const test::MailFixture& mail, const std::vector<ExpectedNotice>& due,
                                     const StateLedger& ledger, double* imapSeconds) {
  // Accepted by the submission server is not yet in the mailbox (relay,
  // LMTP): look again a few times before calling anything lost.
  std::vector<InboxReport> reports;
  auto start = Clock::now();
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt > 0) ::sleep(5);
    reports.clear();
    bool complete = true;
    for (int n : kRecipients) {
      reports.push_back(checkInbox(mail.address(n), mail.fetchAll(n), due, ledger.seenInOutbox(), "chaos"));
      complete = complete && reports.back().lost.empty() && reports.back().seenInOutboxLost.empty();
    }
    if (complete) break;
  }
  *imapSeconds = secondsSince(start);
  return reports;
}

// "52 jobs: always failing: down-every-1 (1 s, every), ...; healthy: 40".
std::string jobSummary(const std::vector<ChaosJob>& jobs) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const ChaosJob*>> byWhat;
  for (const ChaosJob& j : jobs) {
    if (byWhat[j.what].empty()) order.push_back(j.what);
    byWhat[j.what].push_back(&j);
  }
  std::string text = std::to_string(jobs.size()) + " jobs";
  for (const std::string& what : order) {
    const std::vector<const ChaosJob*>& group = byWhat[what];
    text += "; " + what + ": ";
    if (!group.front()->notifies) {
      text += std::to_string(group.size()) + " (every 1-2 s)";
      continue;
    }
    for (const ChaosJob* j : group) {
      text += (j == group.front() ? "" : ", ") + j->name + " (" + std::to_string(j->everySeconds) + " s, " +
              (j->mode == ChaosMode::every ? "every" : "state_change") + ")";
    }
  }
  return text;
}

// What the report prints besides the tallies.
struct Figures {
  uint64_t seed = 0;
  Clock::time_point begin;
  double mailSeconds = 0, killSeconds = 0, drainSeconds = 0, imapSeconds = 0;
  std::map<std::string, int> kinds;  // kills by band
};

// Prints the counts; true when nothing was lost and the state always opened clean.
bool report(const Totals& t, const StateLedger& ledger, const std::vector<ExpectedNotice>& due,
            const std::vector<std::string>& incomplete, const std::vector<InboxReport>& reports, const Figures& f) {
  size_t failureNotices = 0, recoveries = 0, runs = 0;
  for (const ExpectedNotice& e : due) (e.recovery ? recoveries : failureNotices) += 1;
  for (const auto& [id, job] : ledger.jobs()) runs += job.history.size();
  size_t lost = 0, seenLost = 0, delivered = 0, dupCopies = 0, dupNotices = 0, unexpected = 0, malformed = 0;
  for (const InboxReport& r : reports) {
    lost += r.lost.size();
    seenLost += r.seenInOutboxLost.size();
    delivered += r.delivered;
    dupCopies += r.duplicateCopies;
    dupNotices += r.noticesDuplicated;
    unexpected += r.unexpected;
    malformed += r.malformed;
  }

  std::printf("\n== checker-bench-chaos, seed %llu ==\n", static_cast<unsigned long long>(f.seed));
  std::printf("kills (SIGKILL to checkerd's group and every descendant): %d (%d before checkerd reached \"scheduling\")\n",
              t.kills, t.earlyKills);
  std::printf("  aimed:");
  for (const KillBand& b : kKillBands) std::printf(" %d %s;", f.kinds.at(b.what), b.what);
  std::printf("\n");
  std::printf("restarts: %d (the last one drains the outbox with only the healthy jobs)\n", t.restarts);
  std::printf("clean state opens: checkerd starts %d of %d verified (no state error logged, `checker status` read it; %d killed before), "
              "read-only reads of the whole state %d of %d\n",
              t.startsClean, t.startsVerified, t.starts - t.startsVerified, t.snapshotsClean, t.snapshots);
  std::printf("processes alive 5 s after a kill: %zu; run cgroups of killed checkerds left behind: %zu\n",
              t.survivors, leftoverRunCgroups(t.checkerdPids));
  std::printf("runs recorded: %zu (every one seen in the history: %s)\n", runs,
              incomplete.empty() ? "yes" : "NO");
  for (const std::string& name : incomplete) std::printf("  runs missing from the ledger: %s\n", name.c_str());
  std::printf("alerts due: %zu (%zu failure notices, %zu recovery notices), to each of %zu recipients; "
              "%zu distinct outbox entries seen in the state at kills\n",
              due.size(), failureNotices, recoveries, kRecipients.size(), ledger.seenInOutbox().size());
  for (const InboxReport& r : reports) {
    std::printf("  %s: %zu messages, %zu distinct notices; delivered %zu of %zu due; lost %zu; outbox entries seen "
                "%zu, delivered %zu; duplicates %zu extra copies of %zu notices (%zu of them not in the outbox at a "
                "kill); unexpected %zu; malformed %zu\n",
                r.recipient.c_str(), r.messages, r.distinct, r.delivered, r.due, r.lost.size(), r.seenInOutbox,
                r.seenInOutboxDelivered, r.duplicateCopies, r.noticesDuplicated, r.duplicatedNotSeen, r.unexpected,
                r.malformed);
    for (size_t i = 0; i < r.lost.size() && i < 20; ++i) std::printf("    LOST: %s\n", r.lost[i].c_str());
    for (size_t i = 0; i < r.seenInOutboxLost.size() && i < 20; ++i) {
      std::printf("    LOST (was in the outbox): %s\n", r.seenInOutboxLost[i].c_str());
    }
    for (const std::string& u : r.unexpectedExamples) std::printf("    unexpected: %s\n", u.c_str());
  }
  std::printf("alerts delivered: %zu of %zu (all recipients)\nalerts lost: %zu (+ %zu seen in the outbox)\n"
              "duplicates: %zu extra copies (%zu notices arrived more than once)\n",
              delivered, due.size() * kRecipients.size(), lost, seenLost, dupCopies, dupNotices);
  std::printf("error lines logged (all lives):%s\n", t.errorLines.empty() ? " none" : "");
  for (const auto& [text, count] : t.errorLines) std::printf("  %4d x %s\n", count, text.c_str());
  std::printf("timings: total %.1f s; mail servers %.1f s; %d kills %.1f s; drain %.1f s; reading %zu inboxes %.1f s\n",
              secondsSince(f.begin), f.mailSeconds, t.kills, f.killSeconds, f.drainSeconds, kRecipients.size(), f.imapSeconds);
  std::printf("  start to \"scheduling\": median %.0f ms, max %.0f ms; kill to every process gone: median %.1f ms, max %.1f ms; "
              "reading the state: median %.1f ms, max %.1f ms\n",
              percentile(t.readyMs, 50), percentile(t.readyMs, 100), percentile(t.goneMs, 50), percentile(t.goneMs, 100),
              percentile(t.snapshotMs, 50), percentile(t.snapshotMs, 100));
  for (const std::string& failure : t.failures) std::printf("FAILURE: %s\n", failure.c_str());
  bool ok = t.failures.empty() && lost == 0 && seenLost == 0 && incomplete.empty();
  std::printf("result: %s\n", ok ? "PASS" : "FAIL");
  return ok;
}

int run(const Options& o) {
  Figures f;
  f.begin = Clock::now();
  std::printf("checker-bench-chaos: %d kills, seed %llu (again: --seed %llu)\n", o.kills,
              static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.seed));
  char tmp[] = "/tmp/checker-bench-chaos-XXXXXX";
  if (::mkdtemp(tmp) == nullptr) throw std::runtime_error("mkdtemp failed");
  Paths p{selfDir(), tmp, std::string(tmp) + "/chaos.cfg", std::string(tmp) + "/drain.cfg", std::string(tmp) + "/state",
          std::string(tmp) + "/checkerd.log"};
  ::chmod(p.dir.c_str(), 0755);
  bool keep = o.keep;
  int exitCode = 1;
  {
    auto mailStart = Clock::now();
    MailServers servers(p.dir + "/servers");
    test::MailFixture mail = test::MailFixture::load(p.dir + "/servers");
    f.mailSeconds = secondsSince(mailStart);
    SlowLink link(static_cast<uint16_t>(mail.submissionPort), std::chrono::milliseconds(o.smtpDelayMs));
    ChaosMail m{mail.host, mail.address(kSender), mail.password(kSender), mail.caFile, link.port(), mail.imapsPort, {}};
    for (int n : kRecipients) m.contacts.push_back(mail.address(n));
    std::vector<ChaosJob> jobs = chaosJobs("127.0.0.1:" + std::to_string(mail.imapsPort));
    std::ofstream(p.config) << chaosConfig(jobs, m, p.stateDir, true);
    std::ofstream(p.drainConfig) << chaosConfig(jobs, m, p.stateDir, false);
    ::chmod(p.config.c_str(), 0600);
    ::chmod(p.drainConfig.c_str(), 0600);
    std::printf("mail servers up in %.1f s; the submission server's answers held back %d ms each; %s\n", f.mailSeconds,
                o.smtpDelayMs, jobSummary(jobs).c_str());
    std::printf("directory %s (checkerd's log: checkerd.log)\n", p.dir.c_str());

    std::mt19937_64 rng(o.seed);
    Totals t;
    StateLedger ledger;
    auto killStart = Clock::now();
    for (const KillBand& b : kKillBands) f.kinds[b.what] = 0;
    for (int i = 1; i <= o.kills; ++i) {
      KillPlan plan = planKill(rng);
      ++f.kinds[plan.band->what];
      if (i > 1) ++t.restarts;
      killCycle(p, i, o.kills, plan, ledger, t);
    }
    f.killSeconds = secondsSince(killStart);
    ++t.restarts;
    drain(p, o.kills + 1, ledger, t, &f.drainSeconds);

    std::vector<std::string> incomplete;
    std::vector<ExpectedNotice> due = expectedNotices(jobs, ledger, &incomplete);
    std::vector<InboxReport> reports = readInboxes(mail, due, ledger, &f.imapSeconds);

    f.seed = o.seed;
    bool ok = report(t, ledger, due, incomplete, reports, f);
    exitCode = ok ? 0 : 1;
    keep = keep || !ok;
  }
  if (keep) {
    std::printf("kept %s\n", p.dir.c_str());
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(p.dir, ignored);
  }
  return exitCode;
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker::bench;
  Options options;
  if (!parseArgs(argc, argv, options)) {
    std::fprintf(stderr, "usage: checker-bench-chaos [--kills N] [--seed S] [--smtp-delay-ms MS] [--keep]\n");
    return 2;
  }
  if (!options.seedGiven) options.seed = std::random_device{}();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  catchStopSignals();
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-chaos: %s\n", e.what());
    return 1;
  }
}
