#include "jobs/job_catalog.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>

#include "common/config_section.h"
#include "jobs/command_line.h"

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

  // The targets of a section: `targets` (several), `target`, or host + port.
  std::vector<HostPort> hostPortTargets(bool allowHostPort);
  JobDefinition make(const std::string& id, const std::string& target, bool several) const;

  const JobSection& job_;
  const Config& config_;
  IniSection section_;
  SectionReader reader_;
  ConfigReporter& rep_;
};

void SectionExpander::expand(std::vector<JobDefinition>& out) {
  static const std::map<std::string, void (SectionExpander::*)(std::vector<JobDefinition>&)> kTypes = {
      {"tcp", &SectionExpander::expandTcp},
      {"http", &SectionExpander::expandHttp},
      {"tls_cert", &SectionExpander::expandTlsCert},
      {"exec", &SectionExpander::expandExec},
  };
  if (job_.type.empty()) return;  // already reported by the config reader
  auto it = kTypes.find(job_.type);
  if (it == kTypes.end()) {
    expandPlugin(out);
  } else {
    (this->*(it->second))(out);
  }
}

JobDefinition SectionExpander::make(const std::string& id, const std::string& target, bool several) const {
  JobDefinition d;
  d.id = id;
  d.name = several ? job_.name + "[" + target + "]" : job_.name;
  d.type = job_.type;
  d.section = job_.name;
  d.line = job_.line;
  d.schedule = job_.schedule;
  d.notify = job_.notify;
  d.limits = job_.limits;
  return d;
}

std::vector<HostPort> SectionExpander::hostPortTargets(bool allowHostPort) {
  std::vector<HostPort> targets;
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
    Parsed<HostPort> hp = parseHostPort(text);
    if (parsedOk(hp)) targets.push_back(std::get<HostPort>(hp));
    else reader_.error(*entry, std::get<std::string>(hp));
  }
  return targets;
}

void SectionExpander::expandTcp(std::vector<JobDefinition>& out) {
  std::vector<HostPort> targets = hostPortTargets(true);
  Milliseconds connectTimeout{10'000};  // the original's socket timeout
  reader_.duration("connect_timeout", connectTimeout);
  reader_.rejectUntaken("type, every, notify, ..., host, port, target, targets, connect_timeout");
  for (const HostPort& t : targets) {
    JobDefinition d = make("tcp:" + t.text(), t.text(), targets.size() > 1);
    d.params = {{"host", t.host}, {"port", std::to_string(t.port)},
                {"connect_timeout_ms", std::to_string(connectTimeout.count())}};
    out.push_back(std::move(d));
  }
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
  reader_.rejectUntaken("type, every, notify, ..., url, targets, expect_status, expect_body, cafile");
  for (const auto& [u, entry] : urls) {
    bool scheme = u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0;
    if (!scheme || u.find_first_of(" \t\n") != std::string::npos) {
      reader_.error(*entry, "'" + u + "' is not an http:// or https:// URL");
      continue;
    }
    JobDefinition d = make("http:" + u, u, urls.size() > 1);
    d.params = {{"url", u}, {"expect_status", std::to_string(expectStatus)}};
    if (!expectBody.empty()) d.params.emplace_back("expect_body", expectBody);
    if (!caFile.empty()) d.params.emplace_back("cafile", caFile);
    out.push_back(std::move(d));
  }
}

void SectionExpander::expandTlsCert(std::vector<JobDefinition>& out) {
  std::vector<HostPort> targets = hostPortTargets(false);
  uint32_t warnDays = 30;
  std::string caFile;
  reader_.count("warn_days", 1, 3650, warnDays);
  reader_.text("cafile", caFile);
  reader_.rejectUntaken("type, every, notify, ..., target, targets, warn_days, cafile");
  for (const HostPort& t : targets) {
    JobDefinition d = make("tls_cert:" + t.text(), t.text(), targets.size() > 1);
    d.params = {{"host", t.host}, {"port", std::to_string(t.port)}, {"warn_days", std::to_string(warnDays)}};
    if (!caFile.empty()) d.params.emplace_back("cafile", caFile);
    out.push_back(std::move(d));
  }
}

void SectionExpander::expandExec(std::vector<JobDefinition>& out) {
  const IniEntry* command = reader_.take("command");
  bool shell = false;
  reader_.flag("shell", shell);
  reader_.rejectUntaken("type, every, notify, ..., command, shell");
  if (command == nullptr || command->value.empty()) {
    reader_.errorAtHeader("needs 'command'");
    return;
  }
  if (!shell) {
    std::vector<std::string> argv;
    std::string why;
    if (!splitCommandLine(command->value, argv, &why)) return reader_.error(*command, why);
    if (argv.empty() || argv[0].front() != '/') {
      // The worker runs with an empty environment: there is no PATH to search.
      return reader_.error(*command, "the program must be an absolute path (or set shell = yes)");
    }
    if (::access(argv[0].c_str(), X_OK) != 0) {
      rep_.warning(command->line, "[" + section_.name + "] command: " + argv[0] + " is not an executable file (yet)");
    }
  }
  JobDefinition d = make("exec:" + command->value + (shell ? " (shell)" : ""), "", false);
  d.params = {{"command", command->value}, {"shell", shell ? "yes" : "no"}};
  out.push_back(std::move(d));
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
  JobDefinition d = make("plugin:" + job_.type + ":" + job_.name, "", false);
  for (const IniEntry& e : job_.params) d.params.emplace_back(e.key, e.value);
  out.push_back(std::move(d));
}

void addSystemJobs(const Config& c, std::vector<JobDefinition>& out) {
  JobDefinition email;
  email.id = "system:email";
  email.name = "email self-check";
  email.type = "email_selfcheck";
  email.system = true;
  email.schedule = c.email.selfCheckEvery;
  // The original's EmailChecker: notify every time, after one failure.
  email.notify = NotifySettings{NotifyMode::every, 1, true, 1};
  email.limits.timeout = c.email.selfCheckDeadline + Milliseconds(30'000);
  out.push_back(std::move(email));
  for (const PeerSettings& p : c.peers) {
    JobDefinition d;
    d.id = "peer:" + p.url;
    d.name = "peer " + p.name;
    d.type = "peer";
    d.line = p.line;
    d.system = true;
    d.schedule = c.peerd.checkEvery;
    d.notify = c.peerd.notify;
    d.limits.timeout = c.peerd.timeout + Milliseconds(5'000);
    d.params = {{"url", p.url}, {"admin", p.adminAddress}};
    out.push_back(std::move(d));
  }
}

}  // namespace

const std::vector<std::string>& builtinJobTypes() {
  static const std::vector<std::string> kTypes = {"tcp", "http", "tls_cert", "exec"};
  return kTypes;
}

JobPlan planJobs(const Config& config) {
  JobPlan plan;
  ConfigReporter rep(config.path);
  std::map<std::string, const JobSection*> definedBy;  // job id -> its section
  std::vector<JobDefinition> jobs;
  for (const JobSection& section : config.jobs) {
    size_t first = jobs.size();
    SectionExpander(section, config, rep).expand(jobs);
    for (size_t i = first; i < jobs.size(); ++i) {
      auto [it, inserted] = definedBy.emplace(jobs[i].id, &section);
      if (!inserted) {
        rep.error(section.line, "[job " + section.name + "] defines job '" + jobs[i].id + "' again (already defined in [job " +
                                    it->second->name + "] at line " + std::to_string(it->second->line) + ")");
      }
    }
  }
  addSystemJobs(config, jobs);
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

std::string describeJob(const JobDefinition& job) {
  return job.id + "  type=" + job.type + "  every=" + job.schedule.text() +
         "  notify=" + notifyModeName(job.notify.mode) +
         "  threshold=" + std::to_string(job.notify.failuresBeforeNotify);
}

}  // namespace checker
