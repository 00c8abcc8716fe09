#pragma once
// The model of settings.cfg and its loader. Every key, its default and its
// meaning are listed in docs/configuration.md; this file is the reference
// implementation of that page. Job sections are read here only for the keys
// every job shares; the keys of each job type are checked by
// config/job_catalog.h, which also expands a section into jobs.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/password_hash.h"
#include "config/channel_config.h"
#include "config/config_values.h"
#include "config/ini.h"
#include "config/maintenance.h"

namespace checker {

// A job's flap detection ([job] flapping, flap_high, flap_low; the model
// is state/flapping.h's): percentages of state change over its last runs.
struct FlapSettings {
  bool enabled = true;
  uint32_t highPercent = 50;  // at or above: flapping
  uint32_t lowPercent = 25;   // below: stable again
  bool operator==(const FlapSettings&) const = default;
};

// A defaults-filled, validated config. Paths are absolute (relative ones are
// taken relative to the directory of the config file).
struct NotifySettings {
  NotifyMode mode = NotifyMode::stateChange;
  uint32_t failuresBeforeNotify = 1;  // the original's minimum count before notifying
  bool notifyRecovery = true;         // default: on for state_change, off otherwise
  uint32_t recoverAfter = 1;          // successes before a failing job counts as recovered
  // notify_to: the channels its notices go to ("email": the mail to
  // [general] alertcontact); empty: [general] notify_to.
  std::vector<std::string> to = {};
  FlapSettings flap = {};
  bool operator==(const NotifySettings&) const = default;
};

struct JobLimits {
  Milliseconds timeout{30'000};         // wall clock of one run
  uint32_t cpuSeconds = 10;             // RLIMIT_CPU
  uint64_t memoryBytes = 512ull << 20;  // RLIMIT_AS / cgroup memory
  uint32_t openFiles = 256;             // RLIMIT_NOFILE
  uint32_t processes = 64;              // cgroup pids / RLIMIT_NPROC
  uint64_t fileSizeBytes = 16ull << 20; // RLIMIT_FSIZE
};

// confirm_with, confirm_quorum, confirm_unreachable: before a job's failure
// notice goes out, the peers to ask for their own view of the same job
// (each a [peers] entry with a secret), how many views of "failing",
// counting this instance's, confirm it, and whether a peer that cannot be
// asked holds the notice back (else it counts for alerting). Empty peers:
// no confirmation. quorum is resolved when read: the default is a majority
// of the asked plus this instance, (len(peers) + 1) / 2 + 1.
struct ConfirmSettings {
  std::vector<std::string> peers = {};
  uint32_t quorum = 0;
  bool holdWhenUnreachable = false;
  bool operator==(const ConfirmSettings&) const = default;
};

struct JobSection {
  std::string name;  // NAME of [job NAME]
  int line = 0;      // line of the section header
  std::string type;
  int typeLine = 0;
  Schedule schedule;
  NotifySettings notify;
  JobLimits limits;
  // depends_on: the [job NAME] sections whose failure this job's failures
  // are blamed on (config/job_dependencies.h checks them).
  std::vector<std::string> dependsOn = {};
  int dependsOnLine = 0;
  std::vector<IniEntry> params;  // the type's own keys, checked by the job catalog
  // tags = a, b: names a [maintenance NAME] or a silence can select the
  // section's jobs by (config/job_selector.h); in file order, no repeats.
  std::vector<std::string> tags = {};
  int tagsLine = 0;
  ConfirmSettings confirm = {};
  int confirmLine = 0;  // of confirm_with, for the check against [peers]
};

enum class TlsMode { starttls, tls, none };
const char* tlsModeName(TlsMode mode);

// How much history checkerd keeps per job ([general] history_runs,
// history_days, history_hours_days; state/run_history.h applies it). A raw
// run is dropped once either of its limits is passed; hourly aggregates and
// closed incidents once older than hourDays.
struct HistoryRetention {
  // A little over a day of one run a minute (1440), so the last 24 h of raw
  // runs are there for the run bar and `checker history`: ~0.2 MB per such job.
  uint32_t runs = 1500;
  uint32_t days = 7;       // a job run every few hours still shows a week of runs
  uint32_t hourDays = 90;  // uptime and latency by the hour for a quarter
  bool operator==(const HistoryRetention&) const = default;
};

struct GeneralSettings {
  std::string serverName;
  std::vector<std::string> alertContacts;  // alertcontact, comma-separated
  std::string logFile;                     // empty: log to stderr
  std::string stateDir = "/var/lib/checker";  // the original's `statefile`
  int stateDirLine = 0;
  std::string pluginDir = "/usr/lib/checker/plugins";
  Isolation isolation = Isolation::run;  // the default of built-in network jobs
  HistoryRetention history;
  // Where notices go unless a job says (notify_to): channel names.
  std::vector<std::string> notifyTo{kBuiltInEmailChannel};
  // page_url: the status page as people reach it (behind a proxy, a name),
  // for the links in notices; empty: notices carry no link.
  std::string pageUrl;
  bool operator==(const GeneralSettings&) const = default;
};

struct EmailSettings {
  bool noMail = false;
  std::string user;
  std::string password;
  int passwordLine = 0;
  std::string smtpServer;
  uint16_t smtpPort = 587;
  TlsMode smtpTls = TlsMode::starttls;
  std::string imapServer;
  uint16_t imapPort = 993;
  TlsMode imapTls = TlsMode::tls;
  std::string caFile;                  // empty: the system's trust store
  int caFileLine = 0;
  bool deleteSentAutomatically = false;  // ideletesentmessagesautomatically
  std::string trashFolder = "[Gmail]/Trash";
  bool bustGmailThreading = false;
  Schedule selfCheckEvery{Schedule::Kind::hour, {}};
  Milliseconds selfCheckDeadline{5 * 60'000};
  // notify_to of the email self-check's notices; empty: [general]'s.
  std::vector<std::string> selfCheckNotifyTo = {};
  bool operator==(const EmailSettings&) const = default;
};

struct PeerSettings {
  std::string name;
  std::string url;
  std::string adminAddress;
  std::string secret;  // empty: the plain (original) answer
  int line = 0;
  bool operator==(const PeerSettings&) const = default;
};

// Who may see a page on peerd's port beyond the peers' plain answer:
// nobody, clients on this host only (127.0.0.0/8, ::1), or anyone.
enum class Exposure { off, loopback, on };
const char* exposureName(Exposure exposure);  // "no", "loopback", "yes"

struct PeerdSettings {
  HostPort listen{"0.0.0.0", 5000};
  Schedule checkEvery{Schedule::Kind::minute, {}};
  Milliseconds timeout{5'000};
  Milliseconds jobProblemAfter{120'000};
  NotifySettings notify{NotifyMode::hour, 2, true, 1};
  // The HTML status page on `/` for a browser, and /metrics (Prometheus).
  // Loopback by default: the port is open to the internet for peers, and
  // these show job names, hosts, URLs, messages and addresses.
  Exposure statusPage = Exposure::loopback;
  Exposure metrics = Exposure::loopback;
  // `page_password`: when set, the page, the job pages and the JSON API ask
  // every client for this password or token (peerd/page_guard.h). Over
  // plain HTTP from another host only with `page_password_over_plain_http`.
  std::optional<PasswordHash> pagePassword;
  bool pagePasswordOverPlainHttp = false;
  bool operator==(const PeerdSettings&) const = default;
};

struct Config {
  std::string path;       // absolute: the file as loaded (its directory resolved, see loadConfigFile)
  std::string directory;  // absolute: where relative paths in the file start
  GeneralSettings general;
  EmailSettings email;
  std::vector<PeerSettings> peers;
  PeerdSettings peerd;
  std::vector<ChannelSettings> channels;  // [channel NAME], in file order
  std::vector<JobSection> jobs;
  std::vector<MaintenanceWindow> maintenance = {};  // [maintenance NAME], in file order
};

// The [channel NAME] named NAME; nullptr for the built-in "email" or none.
const ChannelSettings* findChannel(const Config& config, const std::string& name);

// Why the email self-check is not scheduled ("nomail is set", "no
// imapserver"), or "" when it is: checkerd and `checker status` must agree.
std::string selfCheckOffReason(const EmailSettings& email);

// Formats "FILE:LINE: message" (or "FILE: message" for line 0).
std::string formatDiagnostic(const std::string& path, const Diagnostic& d);

struct ConfigLoad {
  Config config;
  std::vector<std::string> errors;    // "FILE:LINE: what is wrong"
  std::vector<std::string> warnings;  // same shape, prefixed "warning: "
  bool ok() const { return errors.empty(); }
};

// VALUE, a path from the config, made absolute: relative to the config
// file's directory. Every path in a Config is absolute once loaded, so a
// process may change directory (a worker does) without changing what a
// path names.
std::string resolveConfigPath(const Config& config, const std::string& value);

// Parses TEXT as if read from PATH (PATH, made absolute against the working
// directory, is used for messages and to resolve relative paths). Does not
// look at the file system.
ConfigLoad parseConfigText(std::string_view text, const std::string& path);

// Reads and parses PATH, then checks what needs the file system: the file's
// permissions (a warning when secrets are readable by others), that the state
// directory is not a file, that cafile is readable. Refuses, naming PATH,
// anything but a regular file, and a file larger than 1 MiB, before reading
// it (so a FIFO or /dev/zero cannot hang or exhaust the caller). PATH's
// directory is resolved with realpath(3) first: Config::path and every path
// in the config are absolute.
ConfigLoad loadConfigFile(const std::string& path);

}  // namespace checker
