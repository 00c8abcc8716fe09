// checker silence / silences / unsilence: ask the running checkerd (its
// control socket, ipc/control.capnp) to quiet jobs' notices for a while,
// to list the active silences, or to end one (supervisor/silence_book.h).
// checkerd stores a silence durably before it answers.
//
//   checker silence -c FILE JOB | --tag T | --all --for DURATION --reason TEXT
//   checker silences -c FILE [--json]
//   checker unsilence -c FILE ID
//
// Exit 0 done; 1 checkerd refused (no such silence, too many); 2 bad usage
// or bad config, an unknown job or tag, a duration or reason out of bounds;
// 111 no checkerd answered.
#include <capnp/message.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/control_client.h"
#include "cli/nearest_name.h"
#include "cli/table.h"
#include "cli/terminal.h"
#include "common/clock.h"
#include "common/json_text.h"
#include "config/job_catalog.h"
#include "config/job_selector.h"
#include "config/maintenance.h"
#include "ipc/control.capnp.h"
#include "state/silences.h"
#include "state/state_store.h"
#include "state/state_view.h"

namespace checker::cli {
namespace {

constexpr int kAnswerTimeoutMs = 10'000;  // checkerd answers at once (one fsync)
constexpr int64_t kMinMs = 60'000, kMaxMs = 90LL * 86'400'000;

int usage(const char* command, const std::string& what) {
  std::fprintf(stderr, "checker %s: %s (see checker help %s)\n", command, what.c_str(), command);
  return kExitUsage;
}

// The config, or its errors printed and nullopt.
std::optional<LoadedConfig> loadOrSay(const CommonOptions& options) {
  LoadedConfig loaded = loadConfiguration(options.configPath);
  if (!loaded.ok()) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return std::nullopt;
  }
  return loaded;
}

// The names a JOB argument may match: each job's name and section, from the
// job list checkerd wrote (plugin jobs as described) or else the config.
std::vector<std::string> runningJobNames(const LoadedConfig& loaded) {
  std::set<std::string> names;
  try {
    StateStore store = StateStore::openReadOnly(loaded.config.general.stateDir);
    ReadTransaction txn = store.beginRead();
    Result<std::optional<std::vector<ListedJob>>> running = readJobList(txn);
    if (running && *running) {
      for (const ListedJob& job : **running) {
        names.insert(job.name);
        if (!job.section.empty()) names.insert(job.section);
      }
      return {names.begin(), names.end()};
    }
  } catch (const StateError&) {
    // no state yet: the config's jobs
  }
  for (const JobDefinition& job : loaded.jobs) {
    names.insert(job.name());
    if (!job.section().empty()) names.insert(job.section());
  }
  return {names.begin(), names.end()};
}

// "" when VALUE names something; else why not, with a "did you mean".
std::string unknownName(const std::string& what, const std::string& value, const std::vector<std::string>& known,
                        const std::string& configPath) {
  for (const std::string& name : known) {
    if (globMatches(value, name)) return "";
  }
  std::vector<std::string_view> views(known.begin(), known.end());
  std::string nearest = nearestName(value, views);
  return "no " + what + " '" + value + "' in " + configPath + (nearest.empty() ? "" : "; did you mean '" + nearest + "'?");
}

struct SilenceArgs {
  ipc::SilenceKind kind = ipc::SilenceKind::JOB;
  std::string value, duration, reason;
  int selectors = 0;
  bool durationGiven = false, reasonGiven = false;
};

// Parses ARGS; "" or what is wrong.
std::string parseSilenceArgs(const std::vector<std::string>& args, SilenceArgs& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto valueOf = [&](std::string_view option, std::string& into) -> std::string {
      if (arg.size() > option.size() && arg.starts_with(option) && arg[option.size()] == '=') {
        into = arg.substr(option.size() + 1);
        return "";
      }
      if (i + 1 >= args.size()) return std::string(option) + " needs a value";
      into = args[++i];
      return "";
    };
    auto is = [&](std::string_view option) { return arg == option || arg.starts_with(std::string(option) + "="); };
    std::string error;
    if (is("--tag")) {
      error = valueOf("--tag", out.value);
      out.kind = ipc::SilenceKind::TAG;
      ++out.selectors;
    } else if (arg == "--all") {
      out.kind = ipc::SilenceKind::ALL;
      ++out.selectors;
    } else if (is("--for")) {
      error = valueOf("--for", out.duration);
      out.durationGiven = true;
    } else if (is("--reason")) {
      error = valueOf("--reason", out.reason);
      out.reasonGiven = true;
    } else if (arg.starts_with("-") && arg != "-") {
      error = "unknown option '" + arg + "'";
    } else {
      out.value = arg;
      out.kind = ipc::SilenceKind::JOB;
      ++out.selectors;
    }
    if (!error.empty()) return error;
  }
  if (out.selectors != 1) return "give one of JOB, --tag TAG or --all";
  if (!out.durationGiven) return "--for DURATION is required (e.g. --for 2h; 1m to 90d)";
  if (!out.reasonGiven || trimView(out.reason).empty()) return "--reason TEXT is required: say why, for whoever reads `checker silences`";
  return "";
}

std::string remainingText(int64_t ms) {
  int64_t minutes = (ms + 59'999) / 60'000;
  if (minutes < 60) return std::to_string(minutes) + "m";
  if (minutes < 48 * 60) return std::to_string(minutes / 60) + "h " + std::to_string(minutes % 60) + "m";
  return std::to_string(minutes / 1440) + "d " + std::to_string(minutes % 1440 / 60) + "h";
}

Result<ControlAnswerText> ask(const LoadedConfig& loaded, capnp::MessageBuilder& request) {
  return askCheckerd(loaded.config.general.stateDir, request, kAnswerTimeoutMs);
}

}  // namespace

int silence(const CommonOptions& options) {
  SilenceArgs args;
  if (std::string error = parseSilenceArgs(options.rest, args); !error.empty()) return usage("silence", error);
  Result<Milliseconds> duration = parseDuration(args.duration);
  if (!duration) return usage("silence", "--for " + args.duration + ": " + duration.error());
  if (duration->count() < kMinMs || duration->count() > kMaxMs) {
    return usage("silence", "--for " + args.duration + ": a silence lasts from 1m to 90d");
  }
  if (args.reason.size() > kMaxSilenceReasonBytes) {
    return usage("silence", "--reason is " + std::to_string(args.reason.size()) + " bytes; at most " +
                                std::to_string(kMaxSilenceReasonBytes));
  }
  if (args.value.size() > kMaxSilenceValueBytes) {
    return usage("silence", "a job name or tag is at most " + std::to_string(kMaxSilenceValueBytes) + " bytes");
  }
  std::optional<LoadedConfig> loaded = loadOrSay(options);
  if (!loaded) return kExitUsage;
  if (args.kind == ipc::SilenceKind::JOB) {
    std::string why = unknownName("job", args.value, runningJobNames(*loaded), options.configPath);
    if (!why.empty()) return usage("silence", why);
  } else if (args.kind == ipc::SilenceKind::TAG) {
    if (!isTagName(args.value)) return usage("silence", "'" + args.value + "' is not a tag name (letters, digits, _ . -)");
    std::set<std::string> tags;
    for (const JobSection& job : loaded->config.jobs) tags.insert(job.tags.begin(), job.tags.end());
    std::string why = unknownName("tag", args.value, {tags.begin(), tags.end()}, options.configPath);
    if (!why.empty()) return usage("silence", why);
  }
  capnp::MallocMessageBuilder builder;
  auto request = builder.initRoot<ipc::ControlRequest>().initSilence();
  request.setKind(args.kind);
  request.setValue(args.value);
  request.setDurationMs(duration->count());
  request.setReason(args.reason);
  Result<ControlAnswerText> reply = ask(*loaded, builder);
  if (!reply) {
    std::fprintf(stderr, "checker silence: %s\n", reply.error().c_str());
    return kExitTemporary;
  }
  std::fprintf(reply->ok ? stdout : stderr, "%s%s\n", reply->ok ? "" : "checker silence: ", reply->message.c_str());
  return reply->ok ? kExitOk : kExitUnhealthy;
}

int silences(const CommonOptions& options) {
  bool json = false;
  for (const std::string& arg : options.rest) {
    if (arg == "--json") json = true;
    else return usage("silences", "unknown argument '" + arg + "'");
  }
  std::optional<LoadedConfig> loaded = loadOrSay(options);
  if (!loaded) return kExitUsage;
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ControlRequest>().setSilences();
  Result<ControlAnswerText> reply = ask(*loaded, builder);
  if (!reply) {
    std::fprintf(stderr, "checker silences: %s\n", reply.error().c_str());
    return kExitTemporary;
  }
  if (!reply->ok) {
    std::fprintf(stderr, "checker silences: %s\n", reply->message.c_str());
    return kExitUnhealthy;
  }
  Json answer = Json::parse(reply->message, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.contains("silences") || !answer["silences"].is_array()) {
    std::fprintf(stderr, "checker silences: checkerd's answer is not the expected JSON\n");
    return kExitUnhealthy;
  }
  int64_t now = answer.value("now_unix_ms", wallClockNowMs());
  Table table({{"ID", true}, {"JOBS"}, {"UNTIL"}, {"REMAINING"}, {"REASON"}});
  for (Json& s : answer["silences"]) {
    int64_t ends = s.value("ends_unix_ms", int64_t{0});
    s["remaining_ms"] = std::max<int64_t>(0, ends - now);
    table.add({{std::to_string(s.value("id", uint64_t{0}))},
               {s.value("selector", std::string())},
               {formatLocalMinute(ends, "UTC")},
               {remainingText(ends - now)},
               {s.value("reason", std::string())}});
  }
  if (json) {
    std::printf("%s\n", jsonText(answer, {"silences"}).c_str());
  } else if (table.empty()) {
    std::printf("no active silences\n");
  } else {
    std::printf("%s", table.render(detectTerminal(1)).c_str());
  }
  return kExitOk;
}

int unsilence(const CommonOptions& options) {
  if (options.rest.size() != 1) return usage("unsilence", "give one silence ID (checker silences lists them)");
  const std::string& text = options.rest[0];
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
    return usage("unsilence", "'" + text + "' is not a silence ID (a number that checker silences lists)");
  }
  std::optional<LoadedConfig> loaded = loadOrSay(options);
  if (!loaded) return kExitUsage;
  capnp::MallocMessageBuilder builder;
  builder.initRoot<ipc::ControlRequest>().setUnsilence(id);
  Result<ControlAnswerText> reply = ask(*loaded, builder);
  if (!reply) {
    std::fprintf(stderr, "checker unsilence: %s\n", reply.error().c_str());
    return kExitTemporary;
  }
  std::fprintf(reply->ok ? stdout : stderr, "%s%s\n", reply->ok ? "" : "checker unsilence: ", reply->message.c_str());
  return reply->ok ? kExitOk : kExitUnhealthy;
}

}  // namespace checker::cli
