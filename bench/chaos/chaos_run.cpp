#include "bench/chaos/chaos_run.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "bench/bench_util.h"
#include "bench/chaos/checkerd_life.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kStartTimeout = 15s;
constexpr auto kDrainTimeout = 6min;

// An error line without its time and pid, so equal events count together.
std::string errorKey(const std::string& line) {
  size_t at = line.find("] ");
  std::string rest = at == std::string::npos ? line : line.substr(at + 2);
  size_t prog = line.find(' ');
  size_t bracket = line.find('[');
  std::string program = prog != std::string::npos && bracket != std::string::npos && bracket > prog
                            ? line.substr(prog + 1, bracket - prog - 1)
                            : "";
  return program + ": " + rest;
}

void checkStart(const StartCheck& check, int life, Totals& t) {
  ++t.startsVerified;
  t.readyMs.push_back(check.readyMs);
  bool clean = check.statusOk && check.stateErrors.empty();
  if (clean) {
    ++t.startsClean;
    return;
  }
  for (const std::string& e : check.stateErrors) t.failures.push_back("life " + std::to_string(life) + ": " + e);
  if (!check.statusOk) t.failures.push_back("life " + std::to_string(life) + ": " + check.statusProblem);
}

// Opens the state read-only and reads all of it; false (recorded) when it does not.
bool snapshot(StateLedger& ledger, const std::string& stateDir, SnapshotFacts* facts, Totals& t, const std::string& when) {
  ++t.snapshots;
  auto start = Clock::now();
  try {
    *facts = ledger.snapshot(stateDir);
  } catch (const std::exception& e) {
    t.failures.push_back(when + ": the state did not read clean: " + e.what());
    return false;
  }
  t.snapshotMs.push_back(secondsSince(start) * 1000);
  ++t.snapshotsClean;
  return true;
}

void noteErrors(const CheckerdLife& life, int number, Totals& t) {
  for (const std::string& l : life.errorLines()) ++t.errorLines[errorKey(l)];
  for (const std::string& l : life.stateErrorLines()) {
    t.failures.push_back("life " + std::to_string(number) + ": " + l);
  }
}

// How the life went before the kill, for the progress line; what was wrong goes to T.
std::string judgeLife(const StartCheck& check, const KillFacts& killed, std::chrono::milliseconds delay, int number,
                      Totals& t) {
  std::string life = "life " + std::to_string(number) + ": ";
  if (!killed.byUs) {
    t.failures.push_back(life + "checkerd ended by itself before the kill: " + killed.howItEnded);
    return "ENDED BY ITSELF: " + killed.howItEnded;
  }
  if (!check.ready) {
    ++t.earlyKills;
    if (delay < 2s) return "killed during the start";
    t.failures.push_back(life + "checkerd did not reach \"scheduling\" within " + std::to_string(delay.count()) + " ms");
    return "NOT READY";
  }
  return "ready in " + std::to_string(static_cast<int>(check.readyMs)) + " ms, " +
         (check.statusOk && check.stateErrors.empty() ? "status ok" : "START NOT CLEAN");
}

}  // namespace

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

KillPlan planKill(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  double pick = unit(rng), where = unit(rng), wait = unit(rng);
  KillPlan plan;
  for (const KillBand& b : kKillBands) {
    plan.band = &b;
    if ((pick -= b.share) < 0) break;
  }
  auto ms = [](double v) { return std::chrono::milliseconds(static_cast<int64_t>(v)); };
  double inBand = plan.band->fromMs + where * (plan.band->toMs - plan.band->fromMs);
  if (plan.band->afterLine) {
    plan.at = ms(kWaitFromMs + wait * (kWaitToMs - kWaitFromMs));
    plan.after = ms(inBand);
  } else {
    plan.at = ms(inBand);
  }
  return plan;
}

size_t leftoverRunCgroups(const std::vector<int>& pids) {
  std::set<std::string> names;
  for (int pid : pids) names.insert("checker-runs-" + std::to_string(pid));
  size_t found = 0;
  std::error_code ec;
  namespace fs = std::filesystem;
  for (fs::recursive_directory_iterator it("/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    // checker-runs-PID.TICKS[-N] (worker_runs/run_cgroups.cpp): the part before the dot.
    std::string name = it->path().filename().string();
    if (names.count(name.substr(0, name.find('.'))) > 0) {
      ++found;
      it.disable_recursion_pending();
    } else if (it.depth() >= 3) {
      it.disable_recursion_pending();
    }
  }
  return found;
}

void killCycle(const Paths& p, int number, int kills, const KillPlan& plan, StateLedger& ledger, Totals& t) {
  std::chrono::milliseconds delay = plan.at;
  CheckerdLife life({p.bin, p.config, p.log, number});
  ++t.starts;
  StartCheck check = life.awaitStart(std::min<std::chrono::milliseconds>(delay, kStartTimeout));
  interrupted();
  if (check.ready) checkStart(check, number, t);
  t.checkerdPids.push_back(life.pid());
  life.runUntil(delay);
  std::string waited;
  if (plan.band->afterLine && !life.exited()) {
    bool seen = life.awaitLine(plan.band->afterLine, kLineTimeout);
    if (seen) life.runUntil(std::chrono::milliseconds(static_cast<int64_t>(life.sinceSpawnMs())) + plan.after);
    waited = seen ? std::string(", ") + std::to_string(plan.after.count()) + " ms after \"" + plan.band->afterLine + "\""
                  : std::string(", no \"") + plan.band->afterLine + "\" within 5 s";
  }
  interrupted();
  double killedAtMs = life.sinceSpawnMs();
  KillFacts killed = life.killTree();
  ++t.kills;
  t.goneMs.push_back(killed.goneMs);
  t.survivors += killed.survivors.size();
  std::string start = judgeLife(check, killed, delay, number, t);
  noteErrors(life, number, t);
  SnapshotFacts facts;
  bool read = snapshot(ledger, p.stateDir, &facts, t, "after kill " + std::to_string(number));
  std::printf("kill %3d/%d at %5.2f s%s (%s); %zu processes gone in %.0f ms%s; state %s: %zu jobs, outbox %zu (%zu notices), +%zu runs\n",
              number, kills, killedAtMs / 1000, waited.c_str(), start.c_str(), killed.processes, killed.goneMs,
              killed.survivors.empty() ? "" : (", " + std::to_string(killed.survivors.size()) + " SURVIVED").c_str(),
              read ? "read clean" : "DID NOT READ", facts.jobs, facts.outboxPending, facts.noticesInOutbox, facts.newRuns);
  std::fflush(stdout);
}

void drain(const Paths& p, int number, StateLedger& ledger, Totals& t, double* drainSeconds) {
  auto start = Clock::now();
  CheckerdLife life({p.bin, p.drainConfig, p.log, number});
  ++t.starts;
  t.checkerdPids.push_back(life.pid());
  StartCheck check = life.awaitStart(kStartTimeout);
  if (!check.ready) throw std::runtime_error("the final checkerd did not start (log: " + p.log + ")");
  checkStart(check, number, t);
  SnapshotFacts facts;
  size_t polls = 0;
  for (;;) {
    interrupted();
    life.runUntil(std::chrono::milliseconds(static_cast<int64_t>(life.sinceSpawnMs()) + 250));
    long pending = -1;
    std::string problem = checkStatus(p.bin, p.drainConfig, &pending);
    if (!problem.empty()) throw std::runtime_error("during the drain: " + problem);
    if (pending == 0) break;
    if (++polls % 20 == 0) std::printf("drain: %ld outbox entries pending after %.1f s\n", pending, secondsSince(start));
    if (Clock::now() - start > kDrainTimeout) throw std::runtime_error("the outbox did not empty within the drain timeout");
  }
  if (!life.stop(30s)) {
    t.failures.push_back("the final checkerd did not stop cleanly on SIGTERM");
  }
  noteErrors(life, number, t);
  snapshot(ledger, p.stateDir, &facts, t, "after the drain");
  if (facts.outboxPending != 0) t.failures.push_back("the outbox was not empty after the drain");
  *drainSeconds = secondsSince(start);
  std::printf("drain: outbox empty after %.1f s; checkerd stopped; state read clean: %zu jobs, outbox %zu\n",
              *drainSeconds, facts.jobs, facts.outboxPending);
}

}  // namespace checker::bench
