#include "config/config.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <optional>

#include "config/config_section.h"
#include "config/http_url.h"
#include "config/job_dependencies.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace checker {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

std::string directoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string currentDirectory() {
  std::string dir(4096, '\0');
  if (::getcwd(dir.data(), dir.size()) == nullptr) return "/";  // unreachable cwd: resolve from /
  dir.resize(std::strlen(dir.c_str()));
  return dir;
}

// PATH made absolute against the working directory, without touching the
// file system.
std::string absolutePath(const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return currentDirectory() + "/" + path;
}

void readGeneral(SectionReader& r, GeneralSettings& g, const Config& c) {
  r.text("servername", g.serverName);
  if (const IniEntry* e = r.take("alertcontact")) {
    g.alertContacts = splitList(e->value);
    for (const std::string& address : g.alertContacts) {
      if (!looksLikeEmailAddress(address)) r.error(*e, "'" + address + "' is not an e-mail address");
    }
  }
  r.text("logfile", g.logFile);
  if (const IniEntry* e = r.take("statefile")) {
    g.stateDir = e->value;
    g.stateDirLine = e->line;
  }
  r.text("plugindir", g.pluginDir);
  if (const IniEntry* e = r.take("isolation")) {
    if (Result<Isolation> isolation = parseIsolation(e->value)) g.isolation = *isolation;
    else r.error(*e, isolation.error());
  }
  r.count("history_runs", 1, 1'000'000, g.history.runs);
  r.count("history_days", 1, 3650, g.history.days);
  r.count("history_hours_days", 1, 3650, g.history.hourDays);
  if (const IniEntry* e = r.take("notify_to")) g.notifyTo = readNotifyTo(r, *e);
  if (const IniEntry* e = r.take("page_url")) {
    Result<HttpUrl> url = parseHttpUrl(trimView(e->value));
    if (!url) r.error(*e, url.error());
    else if (url->target.find_first_of("?#") != std::string::npos) r.error(*e, "a page URL has no query or fragment");
    else g.pageUrl = std::string(trimView(e->value));
  }
  g.logFile = resolveConfigPath(c, g.logFile);
  g.stateDir = resolveConfigPath(c, g.stateDir);
  g.pluginDir = resolveConfigPath(c, g.pluginDir);
  r.rejectUntaken(
      "servername, alertcontact, logfile, statefile, plugindir, isolation, history_runs, history_days, "
      "history_hours_days, notify_to, page_url");
}

void readTlsMode(SectionReader& r, const std::string& key, TlsMode& out) {
  const IniEntry* e = r.take(key);
  if (e == nullptr) return;
  if (e->value == "starttls") out = TlsMode::starttls;
  else if (e->value == "tls") out = TlsMode::tls;
  else if (e->value == "none") out = TlsMode::none;
  else r.error(*e, "expected starttls, tls or none, got '" + e->value + "'");
}

void readEmail(SectionReader& r, EmailSettings& m, const Config& c) {
  r.flag("nomail", m.noMail);
  r.text("user", m.user);
  if (const IniEntry* e = r.take("pass")) {
    m.password = e->value;
    m.passwordLine = e->line;
  }
  r.text("smtpserver", m.smtpServer);
  // The original accepted `smtpport =` left empty beside nomail = True;
  // without nomail an empty port is refused as any bad port is.
  if (const IniEntry* e = r.section().find("smtpport"); e && m.noMail && trimView(e->value).empty()) {
    r.take("smtpport");
  } else {
    r.port("smtpport", m.smtpPort);
  }
  readTlsMode(r, "smtptls", m.smtpTls);
  r.text("imapserver", m.imapServer);
  readTlsMode(r, "imaptls", m.imapTls);
  m.imapPort = m.imapTls == TlsMode::tls ? 993 : 143;  // IMAPS as in the original
  r.port("imapport", m.imapPort);
  if (const IniEntry* e = r.take("cafile")) {
    m.caFile = e->value;
    m.caFileLine = e->line;
  }
  m.caFile = resolveConfigPath(c, m.caFile);
  r.flag("ideletesentmessagesautomatically", m.deleteSentAutomatically);
  r.text("trashfolder", m.trashFolder);
  r.flag("bustgmailthreading", m.bustGmailThreading);
  r.schedule("selfcheck_every", m.selfCheckEvery);
  r.duration("selfcheck_deadline", m.selfCheckDeadline);
  if (const IniEntry* e = r.take("notify_to")) m.selfCheckNotifyTo = readNotifyTo(r, *e);
  r.rejectUntaken(
      "nomail, user, pass, smtpserver, smtpport, smtptls, imapserver, imapport, imaptls, cafile, "
      "ideletesentmessagesautomatically, trashfolder, bustgmailthreading, selfcheck_every, "
      "selfcheck_deadline, notify_to");
}

// A peer line: name = URL,admin@address[,secret=...]
void readPeer(SectionReader& r, const IniEntry& e, std::vector<PeerSettings>& peers) {
  std::vector<std::string> fields = splitList(e.value);
  PeerSettings peer{e.key, "", "", "", e.line};
  if (fields.size() < 2 || fields.size() > 3) {
    r.error(e, "expected 'URL,admin@address' or 'URL,admin@address,secret=...'");
    return;
  }
  peer.url = fields[0];
  peer.adminAddress = fields[1];
  if (Result<HttpUrl> url = parseHttpUrl(peer.url); !url) {
    r.error(e, "peer URL " + url.error());
  }
  if (!looksLikeEmailAddress(peer.adminAddress)) {
    r.error(e, "'" + peer.adminAddress + "' is not the admin's e-mail address");
  }
  if (fields.size() == 3) {
    if (fields[2].rfind("secret=", 0) != 0 || fields[2].size() == 7) {
      r.error(e, "third field must be 'secret=...' with a non-empty secret");
    } else {
      peer.secret = fields[2].substr(7);
    }
  }
  for (const PeerSettings& other : peers) {
    if (other.url == peer.url) {
      r.error(e, "peer URL " + peer.url + " is already used by '" + other.name + "' at line " +
                     std::to_string(other.line));
    }
  }
  peers.push_back(std::move(peer));
}

// Recovery notices default to on for state_change (the original's only
// mode with one) and, where RECOVERY_ALWAYS, for every mode.
void readNotifySettings(SectionReader& r, NotifySettings& n, bool recoveryAlways) {
  r.notifyMode("notify", n.mode);
  n.notifyRecovery = recoveryAlways || n.mode == NotifyMode::stateChange;
  r.flag("notify_recovery", n.notifyRecovery);
  r.count("failures_before_notify", 1, 1'000'000, n.failuresBeforeNotify);
  r.count("recover_after", 1, 1'000'000, n.recoverAfter);
}

// yes/no (any boolean spelling) or loopback.
void readExposure(SectionReader& r, const std::string& key, Exposure& out) {
  const IniEntry* e = r.take(key);
  if (e == nullptr) return;
  Result<bool> flag = parseBool(e->value);
  if (flag) out = *flag ? Exposure::on : Exposure::off;
  else if (strcasecmp(std::string(trimView(e->value)).c_str(), "loopback") == 0) out = Exposure::loopback;
  else r.error(*e, "expected yes, no or loopback, got '" + e->value + "'");
}

void readPeerd(SectionReader& r, PeerdSettings& p) {
  if (const IniEntry* e = r.take("listen")) {
    Result<HostPort> hp = parseHostPort(e->value, /*portZeroAllowed=*/true);
    if (hp) p.listen = *hp;
    else r.error(*e, hp.error());
  }
  r.schedule("check_every", p.checkEvery);
  r.duration("timeout", p.timeout);
  r.duration("jobproblem_after", p.jobProblemAfter);
  readNotifySettings(r, p.notify, /*recoveryAlways=*/true);
  if (const IniEntry* e = r.take("notify_to")) p.notify.to = readNotifyTo(r, *e);
  readExposure(r, "status_page", p.statusPage);
  readExposure(r, "metrics", p.metrics);
  if (const IniEntry* e = r.take("page_password")) {
    Result<PasswordHash> hash = parsePasswordHash(trimView(e->value));
    if (!hash) r.error(*e, hash.error());
    else if (p.statusPage == Exposure::off) r.error(*e, "status_page = no, so nothing would ask for it");
    else p.pagePassword = std::move(*hash);
  }
  r.flag("page_password_over_plain_http", p.pagePasswordOverPlainHttp);
  r.rejectUntaken(
      "listen, check_every, timeout, jobproblem_after, notify, notify_recovery, "
      "failures_before_notify, recover_after, notify_to, status_page, metrics, page_password, "
      "page_password_over_plain_http");
}

void readLimits(SectionReader& r, JobLimits& l) {
  r.duration("timeout", l.timeout);
  Milliseconds cpu{static_cast<int64_t>(l.cpuSeconds) * 1000};
  if (const IniEntry* e = r.take("cpu")) {
    Result<Milliseconds> d = parseDuration(e->value);
    if (!d) r.error(*e, d.error());
    else if (*d < Milliseconds(1000)) r.error(*e, "CPU limit must be at least 1s");
    else cpu = *d;
  }
  l.cpuSeconds = static_cast<uint32_t>((cpu.count() + 999) / 1000);  // RLIMIT_CPU counts whole seconds
  r.size("memory", l.memoryBytes);
  r.count("files", 8, 1'048'576, l.openFiles);
  r.count("processes", 1, 100'000, l.processes);
  r.size("file_size", l.fileSizeBytes);
}

void readFlapSettings(SectionReader& r, FlapSettings& flap) {
  r.flag("flapping", flap.enabled);
  const IniEntry* high = r.section().find("flap_high");
  r.count("flap_high", 1, 100, flap.highPercent);
  r.count("flap_low", 0, 100, flap.lowPercent);
  if (flap.lowPercent >= flap.highPercent) {
    const IniEntry* at = high ? high : r.section().find("flap_low");
    std::string message = "flap_low (" + std::to_string(flap.lowPercent) + "%) must be below flap_high (" +
                          std::to_string(flap.highPercent) + "%)";
    if (at) r.error(*at, message);
    else r.errorAtHeader(message);
  }
}

// tags = a, b: each a tag name (letters, digits, _ . -), each once.
void readTags(SectionReader& r, const IniEntry& e, JobSection& job) {
  job.tagsLine = e.line;
  for (std::string& tag : splitList(e.value)) {
    if (!isTagName(tag)) r.error(e, "'" + tag + "' is not a tag name (letters, digits, _ . -; at most 64)");
    else if (std::find(job.tags.begin(), job.tags.end(), tag) == job.tags.end()) job.tags.push_back(std::move(tag));
  }
  if (splitList(e.value).empty()) r.error(e, "empty list of tags");
}

void readMaintenance(SectionReader& r, const std::string& name, ConfigReporter& rep, Config& c) {
  for (const MaintenanceWindow& other : c.maintenance) {
    if (other.name == name) {
      rep.error(r.section().line, "[maintenance " + name + "] is defined again (first at line " +
                                      std::to_string(other.line) + ")");
    }
  }
  if (std::optional<MaintenanceWindow> window = readMaintenanceSection(r, name)) {
    c.maintenance.push_back(std::move(*window));
  }
}

// confirm_with, confirm_quorum, confirm_unreachable. That each peer is a
// [peers] entry with a secret is checked once every section is read
// (checkConfirmPeers): [peers] may come later in the file.
void readConfirm(SectionReader& r, JobSection& job) {
  ConfirmSettings& c = job.confirm;
  if (const IniEntry* e = r.take("confirm_with")) {
    job.confirmLine = e->line;
    for (std::string& peer : splitList(e->value)) {
      if (std::find(c.peers.begin(), c.peers.end(), peer) != c.peers.end()) {
        r.error(*e, "peer '" + peer + "' is named twice");
      } else {
        c.peers.push_back(std::move(peer));
      }
    }
    if (c.peers.empty()) r.error(*e, "expected one or more [peers] names, comma-separated");
  }
  auto peers = static_cast<uint32_t>(c.peers.size());
  const IniEntry* quorum = r.take("confirm_quorum");
  const IniEntry* unreachable = r.take("confirm_unreachable");
  for (const IniEntry* e : {quorum, unreachable}) {
    if (e != nullptr && c.peers.empty()) r.error(*e, "needs confirm_with (the peers to ask)");
  }
  if (c.peers.empty()) return;
  c.quorum = (peers + 1) / 2 + 1;  // a majority of the asked and this instance
  if (quorum != nullptr) {
    Result<uint64_t> n = parseCount(quorum->value, 1, peers + 1);
    if (n) c.quorum = static_cast<uint32_t>(*n);
    else r.error(*quorum, n.error() + " (this instance and the " + std::to_string(peers) + " peer(s) in confirm_with)");
  }
  if (unreachable != nullptr) {
    std::string_view value = trimView(unreachable->value);
    if (value == "hold") c.holdWhenUnreachable = true;
    else if (value != "alert") r.error(*unreachable, "expected alert or hold, got '" + unreachable->value + "'");
  }
}

void readJob(const IniSection& s, const std::string& name, ConfigReporter& rep, Config& c) {
  SectionReader r(s, rep);
  JobSection job;
  job.name = name;
  job.line = s.line;
  if (const IniEntry* e = r.take("type")) {
    job.type = e->value;
    job.typeLine = e->line;
    if (job.type.empty()) r.error(*e, "empty job type");
  } else {
    r.errorAtHeader("missing 'type' (tcp, http, tls_cert, exec, or a plugin class name)");
  }
  r.schedule("every", job.schedule);
  readNotifySettings(r, job.notify, /*recoveryAlways=*/false);
  if (const IniEntry* e = r.take("notify_to")) job.notify.to = readNotifyTo(r, *e);
  readFlapSettings(r, job.notify.flap);
  if (const IniEntry* e = r.take("depends_on")) {
    job.dependsOn = splitList(e->value);
    job.dependsOnLine = e->line;
    if (job.dependsOn.empty()) r.error(*e, "empty: name the [job NAME] sections this job depends on");
  }
  if (const IniEntry* e = r.take("tags")) readTags(r, *e, job);
  readLimits(r, job.limits);
  readConfirm(r, job);
  job.params = r.untaken();  // the job type's own keys, checked by the catalog
  c.jobs.push_back(std::move(job));
}

void readSection(const IniSection& s, ConfigReporter& rep, Config& c) {
  SectionReader r(s, rep);
  if (s.name == "general") {
    readGeneral(r, c.general, c);
  } else if (s.name == "email") {
    readEmail(r, c.email, c);
  } else if (s.name == "peerd") {
    readPeerd(r, c.peerd);
  } else if (s.name == "peers") {
    for (const IniEntry& e : s.entries) readPeer(r, e, c.peers);
  } else if (s.name.rfind("job", 0) == 0 && (s.name.size() == 3 || s.name[3] == ' ' || s.name[3] == '\t')) {
    std::string name(trimView(std::string_view(s.name).substr(3)));
    if (name.empty()) rep.error(s.line, "[job] needs a name: [job NAME]");
    else readJob(s, name, rep, c);
  } else if (s.name.rfind("channel", 0) == 0 && (s.name.size() == 7 || s.name[7] == ' ' || s.name[7] == '\t')) {
    std::string name(trimView(std::string_view(s.name).substr(7)));
    if (name.empty()) rep.error(s.line, "[channel] needs a name: [channel NAME]");
    else if (name == kBuiltInEmailChannel) rep.error(s.line, "[channel email]: 'email' is the built-in channel (the mail to alertcontact); name yours otherwise");
    else {
      c.channels.push_back(readChannel(r, name));
      c.channels.back().caFile = resolveConfigPath(c, c.channels.back().caFile);
    }
  } else if (s.name.rfind("maintenance", 0) == 0 && (s.name.size() == 11 || s.name[11] == ' ' || s.name[11] == '\t')) {
    std::string name(trimView(std::string_view(s.name).substr(11)));
    if (name.empty()) rep.error(s.line, "[maintenance] needs a name: [maintenance NAME]");
    else readMaintenance(r, name, rep, c);
  } else {
    rep.error(s.line,
              "unknown section [" + s.name +
                  "]: expected [general], [email], [peers], [peerd], [channel NAME], [job NAME] or [maintenance NAME]");
  }
}

// Every notify_to names the built-in 'email' or a [channel NAME].
void checkNotifyTo(const IniDocument& doc, ConfigReporter& rep, const Config& c) {
  auto check = [&](const std::vector<std::string>& names, const IniSection* section) {
    const IniEntry* entry = section ? section->find("notify_to") : nullptr;
    int line = entry ? entry->line : section ? section->line : 1;
    std::string where = section ? "[" + section->name + "] notify_to: " : "notify_to: ";
    for (const std::string& name : names) {
      if (name != kBuiltInEmailChannel && findChannel(c, name) == nullptr) {
        rep.error(line, where + "no [channel " + name + "] (the built-in one is 'email')");
      }
    }
  };
  check(c.general.notifyTo, doc.find("general"));
  check(c.email.selfCheckNotifyTo, doc.find("email"));
  check(c.peerd.notify.to, doc.find("peerd"));
  for (const JobSection& job : c.jobs) check(job.notify.to, doc.find("job " + job.name));
}

// Every confirm_with peer is a [peers] entry with a secret: a peer's view
// of a job is taken only from a signed answer.
void checkConfirmPeers(ConfigReporter& rep, const Config& c) {
  for (const JobSection& job : c.jobs) {
    for (const std::string& name : job.confirm.peers) {
      auto peer = std::find_if(c.peers.begin(), c.peers.end(), [&](const PeerSettings& p) { return p.name == name; });
      std::string where = "[job " + job.name + "] confirm_with: peer '" + name + "' ";
      if (peer == c.peers.end()) {
        rep.error(job.confirmLine, where + "is not in [peers]");
      } else if (peer->secret.empty()) {
        rep.error(job.confirmLine, where + "has no secret (line " + std::to_string(peer->line) +
                                       "): confirmation must be authenticated, so give it ',secret=...'");
      }
    }
  }
}

// The original's start-up rules: servername and alertcontact always; the
// mail account unless nomail.
void checkRequired(const IniDocument& doc, ConfigReporter& rep, const Config& c) {
  const IniSection* general = doc.find("general");
  int generalLine = general ? general->line : 1;
  std::string where = general ? "[general] " : "missing [general] section: ";
  if (c.general.serverName.empty()) rep.error(generalLine, where + "servername is required");
  if (c.general.alertContacts.empty()) rep.error(generalLine, where + "alertcontact is required");
  if (c.email.noMail) return;
  const IniSection* email = doc.find("email");
  int emailLine = email ? email->line : 1;
  std::string prefix = email ? "[email] " : "missing [email] section: ";
  auto require = [&](const char* key, bool present) {
    if (!present) rep.error(emailLine, prefix + key + " is required unless nomail = true (the sending account is not configured)");
  };
  require("user", !c.email.user.empty());
  require("pass", !c.email.password.empty());
  require("smtpserver", !c.email.smtpServer.empty());
  require("smtpport", email && email->find("smtpport"));
  require("imapserver", !c.email.imapServer.empty());
}

}  // namespace

const char* tlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::starttls: return "starttls";
    case TlsMode::tls: return "tls";
    case TlsMode::none: return "none";
  }
  return "?";
}

const char* exposureName(Exposure exposure) {
  switch (exposure) {
    case Exposure::off: return "no";
    case Exposure::loopback: return "loopback";
    case Exposure::on: return "yes";
  }
  return "?";
}

std::string selfCheckOffReason(const EmailSettings& email) {
  if (email.noMail) return "nomail is set";
  if (email.imapServer.empty()) return "no imapserver";
  return "";
}

std::string formatDiagnostic(const std::string& path, const Diagnostic& d) {
  if (d.line <= 0) return path + ": " + d.message;
  return path + ":" + std::to_string(d.line) + ": " + d.message;
}

std::string resolveConfigPath(const Config& config, const std::string& value) {
  if (value.empty() || value.front() == '/') return value;
  // Leading "./" and "../" steps are taken on the (absolute, resolved)
  // directory itself, so the result reads as the path it is; a later ".."
  // is left to the kernel, which knows whether the step before it is a
  // symbolic link.
  std::string base = config.directory;
  std::string_view rest = value;
  while (true) {
    if (rest == "." || rest.rfind("./", 0) == 0) {
      rest.remove_prefix(rest.size() == 1 ? 1 : 2);
    } else if (rest == ".." || rest.rfind("../", 0) == 0) {
      rest.remove_prefix(rest.size() == 2 ? 2 : 3);
      size_t slash = base.rfind('/');
      base = slash == 0 || slash == std::string::npos ? "/" : base.substr(0, slash);
    } else {
      break;
    }
  }
  if (rest.empty()) return base;
  return base == "/" ? "/" + std::string(rest) : base + "/" + std::string(rest);
}

const ChannelSettings* findChannel(const Config& config, const std::string& name) {
  for (const ChannelSettings& channel : config.channels) {
    if (channel.name == name) return &channel;
  }
  return nullptr;
}

ConfigLoad parseConfigText(std::string_view text, const std::string& path) {
  ConfigLoad load;
  load.config.path = absolutePath(path);
  load.config.directory = directoryOf(load.config.path);
  ConfigReporter rep(path);
  std::vector<Diagnostic> syntax;
  IniDocument doc = parseIni(text, syntax);
  for (const Diagnostic& d : syntax) rep.error(d.line, d.message);
  for (const IniSection& s : doc.sections) readSection(s, rep, load.config);
  checkRequired(doc, rep, load.config);
  checkNotifyTo(doc, rep, load.config);
  checkJobDependencies(rep, load.config);
  checkConfirmPeers(rep, load.config);
  load.errors = rep.takeErrors();
  load.warnings = rep.takeWarnings();
  return load;
}

namespace {

// The config file's path with its directory resolved by the kernel
// (symbolic links and "..", as realpath does), so that the paths in it mean
// the same in every process and after any chdir. The file name itself is
// kept: a config that is a link to a file elsewhere stays known by its name.
std::string canonicalConfigPath(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  char* real = ::realpath(directoryOf(path).c_str(), nullptr);
  if (real == nullptr) return absolutePath(path);
  std::string dir(real);
  std::free(real);
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Reads a config file, refusing before reading anything that could never be
// one: O_NONBLOCK so that opening a FIFO does not wait for a writer, then
// only a regular file, and never more than the cap (a file that grows while
// being read is cut at cap + 1 bytes and refused).
Result<std::string> readWholeFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return Error{describeErrno("open", path, errno)};
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return Error{describeErrno("fstat", path, errno)};
  if (!S_ISREG(st.st_mode)) return Error{"not a regular file"};
  const Error tooLarge{"larger than " + std::to_string(kMaxConfigBytes) + " bytes"};
  if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) return tooLarge;
  std::string text(kMaxConfigBytes + 1, '\0');
  size_t have = 0;
  while (have < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + have, text.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{describeErrno("read", path, errno)};
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > kMaxConfigBytes) return tooLarge;
  text.resize(have);
  return text;
}

// Secrets in a file others can read are secrets no longer: say so.
void checkSecretsPermission(const std::string& path, const Config& c, ConfigReporter& rep) {
  int secretLine = c.email.password.empty() ? 0 : c.email.passwordLine;
  for (const PeerSettings& p : c.peers) {
    if (!p.secret.empty() && secretLine == 0) secretLine = p.line;
  }
  struct stat st{};
  if (secretLine == 0 || ::stat(path.c_str(), &st) != 0) return;
  if (st.st_mode & S_IROTH) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    rep.warning(secretLine, std::string("this file holds passwords or peer secrets and is readable by others (mode ") +
                                mode + "); run: chmod o-r " + path);
  }
}

void checkFileSystem(const std::string& path, const Config& c, ConfigReporter& rep) {
  struct stat st{};
  if (::stat(c.general.stateDir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    rep.error(c.general.stateDirLine,
              "[general] statefile: " + c.general.stateDir +
                  " is a file; checker keeps its state in a directory (use a new path; the original's state file can be imported with 'checker import-state')");
  }
  if (!c.email.caFile.empty() && ::access(c.email.caFile.c_str(), R_OK) != 0) {
    rep.error(c.email.caFileLine, "[email] cafile: " + describeErrno("access", c.email.caFile, errno));
  }
  checkSecretsPermission(path, c, rep);
}

}  // namespace

ConfigLoad loadConfigFile(const std::string& path) {
  Result<std::string> text = readWholeFile(path);
  if (!text) {
    ConfigLoad failed;
    failed.config.path = absolutePath(path);
    failed.config.directory = directoryOf(failed.config.path);
    failed.errors.push_back(formatDiagnostic(path, {0, text.error()}));
    return failed;
  }
  ConfigLoad load = parseConfigText(*text, canonicalConfigPath(path));
  ConfigReporter rep(path);
  checkFileSystem(path, load.config, rep);
  for (std::string& e : rep.takeErrors()) load.errors.push_back(std::move(e));
  for (std::string& w : rep.takeWarnings()) load.warnings.push_back(std::move(w));
  return load;
}

}  // namespace checker
