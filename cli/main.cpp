// checker: the operator's command line. Usage: checker COMMAND [-c FILE] ...
// Every command is one row of kCommands: its function, and the help that
// `checker --help`, `checker help NAME` and `checker NAME --help` print.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/nearest_name.h"

namespace {

using checker::cli::CommonOptions;

struct Command {
  const char* name;
  int (*run)(const CommonOptions&);
  const char* arguments;    // after "checker NAME [-c FILE]"
  const char* summary;      // one line in `checker --help`
  const char* description;  // `checker help NAME`: what it does
  const char* options;      // its own options, one "  --x  what" line each ("" for none)
  const char* exitCodes;    // "  0    when" lines: the codes it returns
  bool readsConfig = true;  // false: runs without -c FILE
};

const Command kCommands[] = {
    {.name = "check-config",
     .run = checker::cli::checkConfig,
     .arguments = "",
     .summary = "validate the config; print one line per job it would run",
     .description = "Reads FILE as checkerd would (plugin jobs are described by a sandboxed worker)\n"
                    "and prints each job it would run: its name, id, type, schedule and\n"
                    "notification. Every error names the file and line.\n",
     .options = "",
     .exitCodes = "  0    the config is valid\n"
                  "  2    bad usage or bad config (every error is printed)\n"},
    {.name = "run-job",
     .run = checker::cli::runJob,
     .arguments = "NAME [--json] [--job-user USER]",
     .summary = "run a job once, sandboxed as checkerd would; no state change",
     .description = "Runs the jobs named NAME (a [job NAME] section, a job name as check-config\n"
                    "shows it, or a job id) once each, through the same worker and sandbox as\n"
                    "checkerd, and prints the outcome. Changes no state and mails nobody.\n",
     .options = "  --json             one JSON object per run\n"
                "  --job-user USER    run as root: the job runs as USER, as under checkerd\n"
                "                     --job-user USER (default nobody; the package uses checker)\n",
     .exitCodes = "  0    every run was ok\n"
                  "  1    a run failed\n"
                  "  2    bad usage or bad config, or no job named NAME\n"},
    {.name = "status",
     .run = checker::cli::status,
     .arguments = "[--json]",
     .summary = "every job's state, the mail health, the outbox, the channels and the peers",
     .description = "Reads the state (while checkerd runs, or not) and prints whether checkerd\n"
                    "runs (first line), the scheduler's heartbeat, the mail health, the outbox,\n"
                    "a table of jobs (state, consecutive failures, last run, failing since,\n"
                    "message), one of alert channels (type, last success, pending, last error;\n"
                    "never a URL or secret) and one of peers. On a terminal: colour (unless\n"
                    "NO_COLOR is set) and messages cut to its width. checkerd runs when a\n"
                    "process holds the state's writer lock and its heartbeat is at most 60 s old.\n",
     .options = "  --json             one JSON document for scripts (docs/cli.md)\n",
     .exitCodes = "  0    every job ok or not run yet, and mail healthy\n"
                  "  1    a job or peer is failing, mail has a problem, or the state is unreadable\n"
                  "  2    bad usage or bad config\n"
                  "  3    checkerd is not running, or its heartbeat is stale (whatever the jobs say):\n"
                  "       nothing shown is current; the first line says which\n"},
    {.name = "history",
     .run = checker::cli::history,
     .arguments = "NAME [--since 7d] [--runs N] [--json]",
     .summary = "a job's uptime, latency, incidents and latest runs",
     .description = "Reads the state (while checkerd runs, or not) and prints, for the jobs named\n"
                    "NAME (a [job NAME] section, a job name, or a job id) over the last --since:\n"
                    "the uptime (runs and failures), the latency's spread and a sparkline of it,\n"
                    "the incidents (failing episodes: start, length, failed runs, notices, first\n"
                    "message) and the latest runs. How much is kept: [general] history_runs,\n"
                    "history_days, history_hours_days (docs/configuration.md).\n",
     .options = "  --since DURATION   how far back (default 7d; e.g. 24h, 30d)\n"
                "  --runs N           how many of the latest runs to list (default 20)\n"
                "  --json             one JSON document for scripts (docs/api.md's keys)\n",
     .exitCodes = "  0    the history was printed\n"
                  "  1    the state could not be read\n"
                  "  2    bad usage or bad config, or no job named NAME\n"},
    {.name = "reload",
     .run = checker::cli::reload,
     .arguments = "",
     .summary = "make the running checkerd re-read its config (as SIGHUP); print what changed",
     .description = "Asks the checkerd whose state directory FILE names, over its control socket\n"
                    "(STATEDIR/control.sock), to re-read its config. Jobs that remain keep their\n"
                    "state and any run in progress; new jobs start; removed ones stop. A config\n"
                    "with errors is refused and the running one stays; checker status shows it.\n",
     .options = "",
     .exitCodes = "  0    reloaded\n"
                  "  2    bad usage, or the config was refused (every error is printed)\n"
                  "  111  no checkerd answered on the control socket\n"},
    {.name = "peers",
     .run = checker::cli::peers,
     .arguments = "[--json]",
     .summary = "ask every peer now and print each answer (nothing recorded)",
     .description = "Asks every [peers] line now, as checker-peerd does (signed when a secret is\n"
                    "set), and prints each answer. Nothing is recorded and nobody is mailed.\n",
     .options = "  --json             one JSON document\n",
     .exitCodes = "  0    every peer answered healthy (or there are none)\n"
                  "  1    a peer did not\n"
                  "  2    bad usage or bad config\n"},
    {.name = "test-email",
     .run = checker::cli::testEmail,
     .arguments = "[--to ADDRESS]...",
     .summary = "send one test message through the mailer; print the server's answer",
     .description = "Starts checker-mailer with this config for one message, as checkerd sends\n"
                    "alerts, and prints what the server said.\n",
     .options = "  --to ADDRESS       the recipient (repeatable; default: [general] alertcontact)\n",
     .exitCodes = "  0    the server accepted it\n"
                  "  1    it did not, or the mailer could not be started\n"
                  "  2    bad usage or bad config\n"},
    {.name = "test-channel",
     .run = checker::cli::testChannel,
     .arguments = "NAME",
     .summary = "send a test notice to channel NAME through the running checkerd; print the answer",
     .description = "Asks the running checkerd (its control socket) to put a test notice for channel\n"
                    "NAME (`email`, or a [channel NAME] section) into its outbox; its mailer sends it\n"
                    "like any notice, and the receiver's answer is printed. A test notice gets one\n"
                    "attempt and is then deleted, whatever the answer: it is never retried later.\n"
                    "`email` and email channels get a test mail to their recipients (with nomail:\n"
                    "not sent, accepted). Waits at most the channel's timeout plus 10 s (a mail:\n"
                    "2 min) for the answer; a test notice still unsent then is deleted unsent.\n",
     .options = "",
     .exitCodes = "  0    the receiver accepted it\n"
                  "  1    it did not (the answer is printed), or no answer came in time\n"
                  "  2    bad usage or bad config, or no channel named NAME\n"
                  "  111  no checkerd answered on the control socket\n"},
    {.name = "silence",
     .run = checker::cli::silence,
     .arguments = "JOB | --tag TAG | --all --for DURATION --reason TEXT",
     .summary = "hold the notices of some jobs for a while (through the running checkerd)",
     .description = "Asks the running checkerd (its control socket) to silence JOB (a job's name as\n"
                    "status shows it, its [job NAME] section, or a glob such as 'web*'), every job\n"
                    "with tag TAG (`tags =` in its section), or all jobs, for DURATION (1m to 90d).\n"
                    "The jobs still run and record history; their notices are held, and a job\n"
                    "still failing when the silence ends gets one notice. checkerd stores the\n"
                    "silence before it answers: it survives a restart. Prints\n"
                    "\"silence ID: WHAT until WHEN (REASON)\". At most 1,000 silences at once.\n",
     .options = "  --tag TAG          the jobs with this tag\n"
                "  --all              every job\n"
                "  --for DURATION     how long: 1m to 90d (30m, 2h, 7d)\n"
                "  --reason TEXT      why (required; at most 500 bytes), shown by checker silences\n",
     .exitCodes = "  0    silenced\n"
                  "  1    checkerd refused it (too many silences, the state could not be written)\n"
                  "  2    bad usage or bad config, no such job or tag, DURATION or TEXT out of bounds\n"
                  "  111  no checkerd answered on the control socket\n"},
    {.name = "silences",
     .run = checker::cli::silences,
     .arguments = "[--json]",
     .summary = "list the active silences: id, jobs, until, time left, reason",
     .description = "Asks the running checkerd for the silences still active and prints each: its\n"
                    "id (for checker unsilence), what it silences, when it ends (UTC), the time\n"
                    "left and the reason. Expired silences are gone.\n",
     .options = "  --json             one JSON document (ids, selectors, times in Unix ms)\n",
     .exitCodes = "  0    listed (perhaps none)\n"
                  "  1    checkerd's answer could not be read\n"
                  "  2    bad usage or bad config\n"
                  "  111  no checkerd answered on the control socket\n"},
    {.name = "unsilence",
     .run = checker::cli::unsilence,
     .arguments = "ID",
     .summary = "end silence ID now",
     .description = "Asks the running checkerd to remove silence ID (see checker silences); the\n"
                    "jobs' notices flow again at once.\n",
     .options = "",
     .exitCodes = "  0    removed\n"
                  "  1    there is no active silence ID\n"
                  "  2    bad usage or bad config, ID not a number\n"
                  "  111  no checkerd answered on the control socket\n"},
    {.name = "confirm",
     .run = checker::cli::confirm,
     .arguments = "[--peers A,B] JOB",
     .summary = "ask JOB's confirm_with peers for their own view of it now; print each",
     .description = "Asks the running checkerd (its control socket) to ask the peers in JOB's\n"
                    "confirm_with (or those given) for their own current view of the same job\n"
                    "(its id: tcp:HOST:PORT, ...), over the signed peer protocol, as it does\n"
                    "before a failure notice of a confirmed job. JOB is a job's name or id. A peer\n"
                    "whose own result is older than now runs its job once first (at most once per\n"
                    "10 s for peers). One line per peer, e.g.\n"
                    "  peer b: failing (ran now, 12 ms ago): connection refused\n"
                    "Waits at most [peerd] timeout + 30 s for the peers.\n",
     .options = "  --peers A,B        ask these [peers] entries (each with a secret) instead\n",
     .exitCodes = "  0    every peer answered (whatever its view)\n"
                  "  1    a peer is unreachable or refused us, or checkerd could not ask\n"
                  "  2    bad usage or bad config\n"
                  "  111  no checkerd answered on the control socket\n"},
    {.name = "import-state",
     .run = checker::cli::importState,
     .arguments = "OLD_STATEFILE [--dry-run] [--force]",
     .summary = "take over the original Checker's job states (stop checkerd first)",
     .description = "Reads the original Python Checker's state file and writes the state of each\n"
                    "entry that names a configured job into this checker's state, so that jobs\n"
                    "already failing, and already notified, are not alerted again. Prints one\n"
                    "line per entry: imported, no such job, or malformed (why). The matching\n"
                    "rule and the format: docs/cli.md. Refused while checkerd has the state open.\n",
     .options = "  --dry-run          print what would be imported; write nothing\n"
                "  --force            replace a job's state that checkerd has already written\n",
     .exitCodes = "  0    every well-formed entry was handled (some may have no job)\n"
                  "  1    OLD_STATEFILE could not be read, or the state could not be written\n"
                  "  2    bad usage or bad config\n"
                  "  111  checkerd (or another import) has the state open: stop it, retry\n"},
    {.name = "hash-password",
     .run = checker::cli::hashPasswordCommand,
     .arguments = "[--new-token]",
     .summary = "print the [peerd] page_password line for a password or a new token",
     .description = "Reads a password from stdin (on a terminal: asked twice, not echoed) and\n"
                    "prints `page_password = HASH` for the [peerd] section: the status page, the\n"
                    "job pages and the JSON API then ask for it (docs/configuration.md). Only\n"
                    "the hash goes into the config. Needs no config file.\n",
     .options = "  --new-token        make a random token instead, print it once (\"token: ...\")\n"
                "                     and its hash; scripts send it as Authorization: Bearer\n",
     .exitCodes = "  0    printed\n"
                  "  2    bad usage, no password, or the two differ\n",
     .readsConfig = false},
};

const Command* findCommand(const std::string& name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

void printUsage(FILE* out) {
  std::fprintf(out,
               "usage: checker COMMAND [-c FILE] [options]\n"
               "       checker help COMMAND        (or: checker COMMAND --help)\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\noptions of every command:\n"
               "  -c, --config FILE  the config file (default %s)\n"
               "  -h, --help         the command's help\n"
               "\nexit codes:\n"
               "  0    success\n"
               "  1    the thing asked about is not healthy (a job failing, a run failed)\n"
               "  2    bad usage or bad configuration: nothing was started; fix and retry\n"
               "  3    checker status: checkerd is not running, or its heartbeat is stale\n"
               "  100  not implemented, or an internal program started wrongly: do not retry\n"
               "  111  temporary failure (e.g. the state is busy): retrying may help\n",
               checker::cli::kDefaultConfigPath);
}

void printCommandHelp(const Command& c) {
  std::printf("usage: checker %s [-c FILE]%s%s\n\n%s\noptions:\n", c.name, *c.arguments ? " " : "", c.arguments,
              c.description);
  std::printf("  -c, --config FILE  the config file (default %s)\n%s  -h, --help         this help\n",
              checker::cli::kDefaultConfigPath, c.options);
  std::printf("\nexit codes:\n%s", c.exitCodes);
}

// "checker: unknown command 'stauts'; did you mean 'status'?" (PREFIX is
// what precedes the name), then the usage on stderr.
void unknownCommand(const char* prefix, const std::string& name) {
  std::vector<std::string_view> names{"help"};
  for (const Command& c : kCommands) names.emplace_back(c.name);
  std::string nearest = checker::cli::nearestName(name, names);
  std::fprintf(stderr, "%s '%s'%s\n\n", prefix, name.c_str(),
               nearest.empty() ? "" : ("; did you mean '" + nearest + "'?").c_str());
  printUsage(stderr);
}

// Parses the options every command shares; the rest stay for the command.
// Returns -1 to go on, else the exit code.
int parseCommon(int argc, char** argv, const Command& command, CommonOptions& options) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      printCommandHelp(command);
      return checker::cli::kExitOk;
    }
    if (arg == "-c" || arg == "--config") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "checker %s: %s needs a FILE (the config)\n", command.name, arg.c_str());
        return checker::cli::kExitUsage;
      }
      options.configPath = argv[++i];
      options.configGiven = true;
    } else if (arg.rfind("--config=", 0) == 0) {
      options.configPath = arg.substr(9);
      options.configGiven = true;
    } else {
      options.rest.push_back(arg);
    }
  }
  return -1;
}

int help(int argc, char** argv) {
  if (argc < 3) {
    printUsage(stdout);
    return checker::cli::kExitOk;
  }
  if (const Command* c = findCommand(argv[2]); c != nullptr && argc == 3) {
    printCommandHelp(*c);
    return checker::cli::kExitOk;
  }
  unknownCommand("checker help: no command", argv[2]);
  return checker::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // commands talk to workers over pipes
  if (argc < 2) {
    printUsage(stderr);
    return checker::cli::kExitUsage;
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help") {
    printUsage(stdout);
    return checker::cli::kExitOk;
  }
  if (name == "help") return help(argc, argv);
  if (name == "--version") {
    std::printf("checker %s\n", CHECKER_VERSION);
    return checker::cli::kExitOk;
  }
  const Command* command = findCommand(name);
  if (command == nullptr) {
    unknownCommand("checker: unknown command", name);
    return checker::cli::kExitUsage;
  }
  CommonOptions options;
  if (int code = parseCommon(argc, argv, *command, options); code >= 0) return code;
  if (command->readsConfig && !options.configGiven && ::access(options.configPath.c_str(), F_OK) != 0 && errno == ENOENT) {
    // Not "open(/etc/checker/settings.cfg): No such file", which does not
    // say that the way out is an option.
    std::fprintf(stderr, "checker %s: missing -c FILE (the config; there is none at %s)\n", command->name,
                 options.configPath.c_str());
    return checker::cli::kExitUsage;
  }
  return command->run(options);
}
