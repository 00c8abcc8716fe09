#include "config/job_catalog.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "config/config_section.h"
#include "config/http_url.h"
#include "config/command_line.h"
#include "config/sandbox_keys.h"

namespace checker {
namespace {

// Reads one job section's type-specific keys and appends its jobs.
class SectionExpander {
 public:
  SectionExpander(const JobSection& job, const Config& config, ConfigReporter& rep)
      : job_(job), config_(config), section_{"job " + job.name, job.line, job.params}, reader_(section_, rep),
        rep_(rep) {}

  void expand(std::vector<JobDefinition>& out);

 private:
  void expandTcp(std::vector<JobDefinition>& out);
  void expandHttp(std::vector<JobDefinition>& out);
  void expandTlsCert(std::vector<JobDefinition>& out);
  void expandExec(std::vector<JobDefinition>& out);
  void expandPlugin(std::vector<JobDefinition>& out);
  // `isolation` of a built-in network type; the [general] default if absent.
  void readIsolation();

  // The targets of a section: `targets` (several), `target`, or host + port;
  // each as "HOST:PORT" or "[IPv6]:PORT".
  std::vector<std::string> hostPortTargets(bool allowHostPort);
  // What every job of the section shares, before the type's own parts.
  JobSectionSettings commonSettings() const;
  // One job per target, all pointing at one copy of SETTINGS.
  void addTargetJobs(std::vector<JobDefinition>& out, JobSectionSettings settings, const std::string& idPrefix,
                     TargetParams targetParams, const std::vector<std::string>& targets) const;

  const JobSection& job_;
  const Config& config_;
  IniSection section_;
  SectionReader reader_;
  ConfigReporter& rep_;
  JobSandboxSettings sandbox_;
  Isolation isolation_ = Isolation::run;
};

void SectionExpander::readIsolation() {
  isolation_ = config_.general.isolation;
  const IniEntry* entry = reader_.take("isolation");
  if (entry == nullptr) return;
  if (Result<Isolation> isolation = parseIsolation(entry->value)) isolation_ = *isolation;
  else reader_.error(*entry, isolation.error());
}

void SectionExpander::expand(std::vector<JobDefinition>& out) {
  static const std::map<std::string, void (SectionExpander::*)(std::vector<JobDefinition>&)> kTypes = {
      {"tcp", &SectionExpander::expandTcp},
      {"http", &SectionExpander::expandHttp},
      {"tls_cert", &SectionExpander::expandTlsCert},
      {"exec", &SectionExpander::expandExec},
  };
  if (job_.type.empty()) return;  // already reported by the config reader
  readSandboxKeys(reader_, rep_, sandbox_);  // every type's, before the type's own
  auto it = kTypes.find(job_.type);
  if (it == kTypes.end()) {
    expandPlugin(out);
  } else {
    (this->*(it->second))(out);
  }
}

JobSectionSettings SectionExpander::commonSettings() const {
  JobSectionSettings s;
  s.type = job_.type;
  s.section = job_.name;
  s.name = job_.name;
  s.line = job_.line;
  s.schedule = job_.schedule;
  s.notify = job_.notify;
  s.dependsOn = job_.dependsOn;
  s.limits = job_.limits;
  s.sandbox = sandbox_;
  s.isolation = isolation_;
  s.tags = job_.tags;
  s.confirm = job_.confirm;
  return s;
}

void SectionExpander::addTargetJobs(std::vector<JobDefinition>& out, JobSectionSettings settings,
                                    const std::string& idPrefix, TargetParams targetParams,
                                    const std::vector<std::string>& targets) const {
  settings.targetIdPrefix = idPrefix;
  settings.targetInName = targets.size() > 1;
  settings.targetParams = targetParams;
  auto shared = std::make_shared<const JobSectionSettings>(std::move(settings));
  for (const std::string& target : targets) out.emplace_back(idPrefix + target, shared);
}

std::vector<std::string> SectionExpander::hostPortTargets(bool allowHostPort) {
  std::vector<std::string> targets;
  const IniEntry* many = reader_.take("targets");
  const IniEntry* one = reader_.take("target");
  const IniEntry* host = allowHostPort ? reader_.take("host") : nullptr;
  const IniEntry* port = allowHostPort ? reader_.take("port") : nullptr;
  int given = (many != nullptr) + (one != nullptr) + (host != nullptr || port != nullptr);
  std::string forms = allowHostPort ? "'targets', 'target', or 'host' and 'port'" : "'targets' or 'target'";
  if (given != 1) {
    reader_.errorAtHeader(given == 0 ? "needs " + forms : "give only one of " + forms);
    return targets;
  }
  std::vector<std::pair<std::string, const IniEntry*>> texts;
  if (many != nullptr) {
    for (const std::string& t : splitList(many->value)) texts.emplace_back(t, many);
    if (texts.empty()) reader_.error(*many, "empty list of targets");
  } else if (one != nullptr) {
    texts.emplace_back(one->value, one);
  } else if (host == nullptr || port == nullptr) {
    reader_.errorAtHeader("'host' and 'port' go together");
  } else {
    std::string h = host->value.find(':') != std::string::npos ? "[" + host->value + "]" : host->value;
    texts.emplace_back(h + ":" + port->value, port);
  }
  for (const auto& [text, entry] : texts) {
    Result<HostPort> hp = parseHostPort(text);
    if (hp) targets.push_back(hp->text());
    else reader_.error(*entry, hp.error());
  }
  return targets;
}

void SectionExpander::expandTcp(std::vector<JobDefinition>& out) {
  std::vector<std::string> targets = hostPortTargets(true);
  Milliseconds connectTimeout{10'000};  // the original's socket timeout
  reader_.duration("connect_timeout", connectTimeout);
  readIsolation();
  reader_.rejectUntaken("type, every, notify, ..., host, port, target, targets, connect_timeout, isolation");
  JobSectionSettings settings = commonSettings();
  settings.params = {{"connect_timeout_ms", std::to_string(connectTimeout.count())}};
  addTargetJobs(out, std::move(settings), "tcp:", TargetParams::hostPort, targets);
}

void SectionExpander::expandHttp(std::vector<JobDefinition>& out) {
  std::vector<std::pair<std::string, const IniEntry*>> urls;
  const IniEntry* url = reader_.take("url");
  const IniEntry* many = reader_.take("targets");
  if ((url != nullptr) == (many != nullptr)) reader_.errorAtHeader("needs exactly one of 'url' or 'targets'");
  if (url != nullptr) urls.emplace_back(url->value, url);
  if (many != nullptr) {
    for (const std::string& u : splitList(many->value)) urls.emplace_back(u, many);
  }
  uint32_t expectStatus = 200;
  std::string expectBody, caFile;
  reader_.count("expect_status", 100, 599, expectStatus);
  reader_.text("expect_body", expectBody);
  reader_.text("cafile", caFile);
  readIsolation();
  reader_.rejectUntaken("type, every, notify, ..., url, targets, expect_status, expect_body, cafile, isolation");
  std::vector<std::string> validUrls;
  for (const auto& [u, entry] : urls) {
    if (Result<HttpUrl> parsed = parseHttpUrl(u); !parsed) {
      reader_.error(*entry, parsed.error());
      continue;
    }
    validUrls.push_back(u);
  }
  JobSectionSettings settings = commonSettings();
  settings.params = {{"expect_status", std::to_string(expectStatus)}};
  if (!expectBody.empty()) settings.params.emplace_back("expect_body", expectBody);
  if (!caFile.empty()) settings.params.emplace_back("cafile", resolveConfigPath(config_, caFile));
  addTargetJobs(out, std::move(settings), "http:", TargetParams::url, validUrls);
}

void SectionExpander::expandTlsCert(std::vector<JobDefinition>& out) {
  std::vector<std::string> targets = hostPortTargets(false);
  uint32_t warnDays = 30;
  std::string caFile;
  reader_.count("warn_days", 1, 3650, warnDays);
  reader_.text("cafile", caFile);
  readIsolation();
  reader_.rejectUntaken("type, every, notify, ..., target, targets, warn_days, cafile, isolation");
  JobSectionSettings settings = commonSettings();
  settings.params = {{"warn_days", std::to_string(warnDays)}};
  if (!caFile.empty()) settings.params.emplace_back("cafile", resolveConfigPath(config_, caFile));
  addTargetJobs(out, std::move(settings), "tls_cert:", TargetParams::hostPort, targets);
}

void SectionExpander::expandExec(std::vector<JobDefinition>& out) {
  const IniEntry* command = reader_.take("command");
  bool shell = false;
  reader_.flag("shell", shell);
  if (const IniEntry* isolation = reader_.take("isolation"); isolation != nullptr && isolation->value != "run") {
    reader_.error(*isolation, "an exec job always runs in a process of its own: only 'run' is allowed");
  }
  reader_.rejectUntaken("type, every, notify, ..., command, shell, isolation");
  if (command == nullptr || command->value.empty()) {
    reader_.errorAtHeader("needs 'command'");
    return;
  }
  if (!shell) {
    Result<std::vector<std::string>> argv = splitCommandLine(command->value);
    if (!argv) return reader_.error(*command, argv.error());
    if (argv->empty() || argv->front().front() != '/') {
      // The worker runs with an empty environment: there is no PATH to search.
      return reader_.error(*command, "the program must be an absolute path (or set shell = yes)");
    }
    if (::access(argv->front().c_str(), X_OK) != 0) {
      rep_.warning(command->line, "[" + section_.name + "] command: " + argv->front() + " is not an executable file (yet)");
    }
  }
  JobSectionSettings settings = commonSettings();
  settings.params = {{"command", command->value}, {"shell", shell ? "yes" : "no"}};
  out.emplace_back("exec:" + command->value + (shell ? " (shell)" : ""),
                   std::make_shared<const JobSectionSettings>(std::move(settings)));
}

bool isClassName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// A type that is not built in names a plugin class: CLASS.so in plugindir,
// loaded by the worker only. Its keys are its own business.
void SectionExpander::expandPlugin(std::vector<JobDefinition>& out) {
  int line = job_.typeLine;
  std::string where = "[" + section_.name + "] type: ";
  if (!isClassName(job_.type)) {
    rep_.error(line, where + "unknown job type '" + job_.type + "' (built in: tcp, http, tls_cert, exec; a plugin type is a C++ class name)");
    return;
  }
  std::string file = config_.general.pluginDir + "/" + job_.type + ".so";
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    rep_.error(line, where + "'" + job_.type + "' is not a built-in type (tcp, http, tls_cert, exec) and there is no plugin " + file);
    return;
  }
  // `isolation` is checker's, as the sandbox keys are: a plugin's code always
  // gets a process of its own.
  for (const IniEntry& e : job_.params) {
    if (e.key == "isolation" && e.value != "run") {
      reader_.error(e, "a plugin job always runs in a process of its own: only 'run' is allowed");
    }
  }
  JobSectionSettings settings = commonSettings();
  const std::vector<std::string>& sandboxKeys = sandboxKeyNames();
  for (const IniEntry& e : job_.params) {
    if (e.key != "isolation" && std::find(sandboxKeys.begin(), sandboxKeys.end(), e.key) == sandboxKeys.end()) {
      settings.params.emplace_back(e.key, e.value);
    }
  }
  out.emplace_back("plugin:" + job_.type + ":" + job_.name,
                   std::make_shared<const JobSectionSettings>(std::move(settings)));
}

void addSystemJobs(const Config& c, std::vector<JobDefinition>& out) {
  JobSectionSettings email;
  email.name = "email self-check";
  email.type = "email_selfcheck";
  email.system = true;
  email.schedule = c.email.selfCheckEvery;
  // The original's EmailChecker: notify every time, after one failure.
  email.notify = NotifySettings{NotifyMode::every, 1, true, 1};
  email.notify.to = c.email.selfCheckNotifyTo;
  email.limits.timeout = c.email.selfCheckDeadline + Milliseconds(30'000);
  out.emplace_back("system:email", std::make_shared<const JobSectionSettings>(std::move(email)));
  for (const PeerSettings& p : c.peers) {
    JobSectionSettings peer;
    peer.name = "peer " + p.name;
    peer.type = "peer";
    peer.line = p.line;
    peer.system = true;
    peer.schedule = c.peerd.checkEvery;
    peer.notify = c.peerd.notify;
    peer.limits.timeout = c.peerd.timeout + Milliseconds(5'000);
    peer.params = {{"peer", p.name}, {"url", p.url}, {"admin", p.adminAddress}};
    out.emplace_back("peer:" + p.url, std::make_shared<const JobSectionSettings>(std::move(peer)));
  }
}

// Runs once every section is expanded, when JOBS no longer moves, so the
// lookup points at the jobs' ids instead of copying them: copies allocated
// between the ids, once freed, would leave the ids' heap pages part-used and
// resident for the daemon's life.
void reportRedefinedJobs(const std::vector<JobDefinition>& jobs, ConfigReporter& rep) {
  std::unordered_map<std::string_view, size_t> firstDefinition;  // job id -> index in JOBS
  firstDefinition.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto [it, inserted] = firstDefinition.emplace(jobs[i].id(), i);
    if (inserted) continue;
    const JobDefinition& first = jobs[it->second];
    rep.error(jobs[i].line(), "[job " + jobs[i].section() + "] defines job '" + jobs[i].id() +
                                  "' again (already defined in [job " + first.section() + "] at line " +
                                  std::to_string(first.line()) + ")");
  }
}

// A [maintenance NAME] selector that matches no job is likely a typo: said
// as a warning, not an error (a job may be added by the next reload).
void warnUnmatchedSelectors(const Config& config, const std::vector<JobDefinition>& jobs, ConfigReporter& rep) {
  for (const MaintenanceWindow& w : config.maintenance) {
    std::string where = "[maintenance " + w.name + "] ";
    for (const std::string& glob : w.selector.jobGlobs) {
      bool matched = std::any_of(jobs.begin(), jobs.end(), [&](const JobDefinition& job) {
        return selectsJob(JobSelector{false, {glob}, {}}, job.name(), job.section(), {});
      });
      if (!matched) rep.warning(w.jobsLine, where + "jobs: '" + glob + "' matches no job");
    }
    for (const std::string& tag : w.selector.tags) {
      bool matched = std::any_of(config.jobs.begin(), config.jobs.end(), [&](const JobSection& section) {
        return std::find(section.tags.begin(), section.tags.end(), tag) != section.tags.end();
      });
      if (!matched) rep.warning(w.tagsLine, where + "tags: no job has the tag '" + tag + "'");
    }
  }
}

}  // namespace

const std::vector<std::string>& builtinJobTypes() {
  static const std::vector<std::string> kTypes = {"tcp", "http", "tls_cert", "exec"};
  return kTypes;
}

bool isPluginJob(const JobDefinition& job) {
  const std::vector<std::string>& builtins = builtinJobTypes();
  return !job.system() && std::find(builtins.begin(), builtins.end(), job.type()) == builtins.end();
}

bool isProbeType(std::string_view type) { return type == "tcp" || type == "http" || type == "tls_cert"; }

JobPlan planJobs(const Config& config) {
  JobPlan plan;
  ConfigReporter rep(config.path);
  std::vector<JobDefinition> jobs;
  for (const JobSection& section : config.jobs) SectionExpander(section, config, rep).expand(jobs);
  reportRedefinedJobs(jobs, rep);
  addSystemJobs(config, jobs);
  warnUnmatchedSelectors(config, jobs, rep);
  plan.jobs = std::move(jobs);
  plan.errors = rep.takeErrors();
  plan.warnings = rep.takeWarnings();
  return plan;
}

namespace {

// Messages read "FILE:LINE: ..."; an operator fixes a file top to bottom.
void sortByLine(std::vector<std::string>& messages) {
  auto lineOf = [](const std::string& m) {
    size_t colon = m.find(':');
    return colon == std::string::npos ? 0L : std::strtol(m.c_str() + colon + 1, nullptr, 10);
  };
  std::stable_sort(messages.begin(), messages.end(),
                   [&](const std::string& a, const std::string& b) { return lineOf(a) < lineOf(b); });
}

}  // namespace

LoadedConfig loadConfiguration(const std::string& path) {
  LoadedConfig loaded;
  ConfigLoad load = loadConfigFile(path);
  loaded.errors = std::move(load.errors);
  loaded.warnings = std::move(load.warnings);
  loaded.config = std::move(load.config);
  // Plan even after config errors: a second list of problems in one run
  // saves the operator a round trip.
  JobPlan plan = planJobs(loaded.config);
  loaded.jobs = std::move(plan.jobs);
  for (std::string& e : plan.errors) loaded.errors.push_back(std::move(e));
  for (std::string& w : plan.warnings) loaded.warnings.push_back(std::move(w));
  sortByLine(loaded.errors);
  sortByLine(loaded.warnings);
  return loaded;
}

namespace {
std::string dependsOnText(const JobDefinition& job) {
  std::string text;
  for (const std::string& parent : job.settings().dependsOn) text += (text.empty() ? "  depends_on=" : ",") + parent;
  return text;
}
}  // namespace

std::string describeJob(const JobDefinition& job) {
  return job.id() + "  type=" + job.type() + "  every=" + job.schedule().text() +
         "  notify=" + notifyModeName(job.notify().mode) +
         "  threshold=" + std::to_string(job.notify().failuresBeforeNotify) +
         (job.settings().isolation == Isolation::batch ? "  isolation=batch" : "") + dependsOnText(job) +
         (job.notify().flap.enabled ? "" : "  flapping=off");
}

}  // namespace checker
