// checker history -c FILE NAME [--since 7d] [--runs N] [--json]: a job's
// uptime, latency, incidents and latest runs, read-only from the LMDB
// state (while checkerd runs or not). NAME is a [job NAME] section, a job
// name as check-config shows it, or a job id; a section that stands for
// several jobs shows each.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/commands.h"
#include "cli/history_output.h"
#include "common/clock.h"
#include "config/config_values.h"
#include "config/job_catalog.h"
#include "state/history_view.h"
#include "state/job_list.h"
#include "state/state_store.h"
#include "state/state_view.h"

namespace checker::cli {
namespace {

constexpr const char* kUsage = "usage: checker history -c FILE NAME [--since 7d] [--runs N] [--json]";
constexpr size_t kMaxRunsRead = 100'000;  // a month of one run a minute is 43,200

struct HistoryOptions {
  std::string name;
  int64_t sinceMs = 7 * 86'400'000LL;
  size_t lastRuns = 20;
  bool json = false;
};

Result<HistoryOptions> parseOptions(const std::vector<std::string>& args) {
  HistoryOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    bool hasValue = i + 1 < args.size();
    if (arg == "--json") {
      o.json = true;
    } else if (arg == "--since" && hasValue) {
      Result<Milliseconds> since = parseDuration(args[++i]);
      if (!since || since->count() <= 0) return Error{"--since '" + args[i] + "': a duration such as 24h, 7d or 90d"};
      o.sinceMs = since->count();
    } else if (arg == "--runs" && hasValue) {
      char* end = nullptr;
      unsigned long n = std::strtoul(args[++i].c_str(), &end, 10);
      if (args[i].empty() || *end != '\0' || n > 100'000) return Error{"--runs '" + args[i] + "': a number up to 100000"};
      o.lastRuns = n;
    } else if (!arg.empty() && arg[0] != '-' && o.name.empty()) {
      o.name = arg;
    } else {
      return Error{"unexpected argument '" + arg + "'"};
    }
  }
  if (o.name.empty()) return Error{"which job? give its NAME"};
  return o;
}

bool matches(const ListedJob& job, const std::string& name) {
  return job.name == name || job.section == name || job.id == name;
}

// The jobs NAME stands for: among those checkerd runs (its list in the
// state), else among the config's.
std::vector<ListedJob> jobsNamed(const std::string& name, const StateReader& txn, const LoadedConfig& loaded) {
  std::vector<ListedJob> all;
  Result<std::optional<std::vector<ListedJob>>> running = readJobList(txn);
  if (running && *running) all = **running;
  else for (const JobDefinition& job : loaded.jobs) all.push_back(listedJob(job));
  std::vector<ListedJob> named;
  for (const ListedJob& job : all) {
    if (matches(job, name)) named.push_back(job);
  }
  return named;
}

}  // namespace

int history(const CommonOptions& options) {
  Result<HistoryOptions> parsed = parseOptions(options.rest);
  if (!parsed) {
    std::fprintf(stderr, "checker history: %s\n%s\n", parsed.error().c_str(), kUsage);
    return kExitUsage;
  }
  LoadedConfig loaded = loadConfiguration(options.configPath);
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  int64_t now = wallClockNowMs();
  HistoryReport report{now - parsed->sinceMs, now + 1, {}};
  try {
    StateStore store = StateStore::openReadOnly(loaded.config.general.stateDir);
    ReadTransaction txn = store.beginRead();
    for (const ListedJob& job : jobsNamed(parsed->name, txn, loaded)) {
      JobHistory h{job.id, job.name, job.type, {}, {}, {}, {}};
      h.runs = readRuns(txn, job.id, report.sinceUnixMs, report.untilUnixMs, kMaxRunsRead);
      h.hours = readHourly(txn, job.id, report.sinceUnixMs, report.untilUnixMs);
      h.incidents = readIncidents(txn, job.id, report.sinceUnixMs, report.untilUnixMs);
      h.uptime = readUptime(txn, job.id, report.sinceUnixMs, report.untilUnixMs);
      report.jobs.push_back(std::move(h));
    }
  } catch (const StateError& e) {
    std::fprintf(stderr, "checker history: the state: %s\n", e.what());
    return kExitUnhealthy;
  }
  if (report.jobs.empty()) {
    std::fprintf(stderr, "checker history: no job named '%s' (see checker status)\n", parsed->name.c_str());
    return kExitUsage;
  }
  const char* lang = std::getenv("LC_ALL") ? std::getenv("LC_ALL") : std::getenv("LANG");
  bool unicode = lang != nullptr && (std::strstr(lang, "UTF-8") || std::strstr(lang, "utf8"));
  std::string text = parsed->json ? historyJson(report, now)
                                  : historyText(report, detectTerminal(STDOUT_FILENO), unicode, now, parsed->lastRuns);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

}  // namespace checker::cli
