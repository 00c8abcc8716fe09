// exec: runs a command and reads its exit status the Nagios plugin way, so
// every existing monitoring plugin works as a checker job:
//   0 OK (success), 1 WARNING, 2 CRITICAL, 3 UNKNOWN (failures), anything
//   else "exit status N", a signal "killed by signal N (SIGxxx)".
// The message is the first line of output, without Nagios performance data
// (from the first '|'), at most 300 bytes, cut between two characters; the
// performance data are the run's named numbers (jobs/nagios_perfdata.h); a
// failure's label is put in front unless the line already contains it. The
// details are the output (stdout and stderr together, the first 64 KiB).
//
// shell = no: the command is split like a shell line (config/command_line.h)
// and its first word, an absolute path, is executed directly. shell = yes:
// /bin/sh -c COMMAND. Either way the environment is only
// PATH=/usr/local/bin:/usr/bin:/bin and LC_ALL=C; how the child is run,
// read and ended is in jobs/child_process.h.
#include <sys/wait.h>

#include <cstring>

#include "common/utf8_text.h"
#include "jobs/builtin_jobs.h"
#include "jobs/child_process.h"
#include "jobs/nagios_perfdata.h"
#include "config/command_line.h"

namespace checker {
namespace {

constexpr size_t kOutputCap = 64 * 1024;
constexpr size_t kMessageCap = 300;

std::string firstLine(const std::string& output) {
  std::string line = output.substr(0, output.find('\n'));
  line = line.substr(0, line.find('|'));  // Nagios performance data
  size_t end = line.find_last_not_of(" \t\r");
  line.erase(end == std::string::npos ? 0 : end + 1);
  line.erase(0, line.find_first_not_of(" \t"));
  if (line.size() > kMessageCap) line = line.substr(0, utf8CutAt(line, kMessageCap)) + "...";
  return line;
}

std::string signalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "unknown signal";
}

class ExecJob : public BuiltinJob {
 public:
  using BuiltinJob::BuiltinJob;

  bool execute() override {
    const std::string* command = required("command");
    if (command == nullptr) return false;
    std::string shell = paramOr("shell", "no");
    std::vector<std::string> argv;
    if (shell == "yes") {
      argv = {"/bin/sh", "-c", *command};
    } else if (shell != "no") {
      return fail("parameter 'shell' is '" + shell + "', expected yes or no");
    } else {
      Result<std::vector<std::string>> words = splitCommandLine(*command);
      if (!words) return fail("cannot split command: " + words.error());
      argv = std::move(*words);
      if (argv.empty() || argv[0].front() != '/') return fail("the program must be an absolute path: " + *command);
    }
    auto start = std::chrono::steady_clock::now();
    ChildRun run = runChild(argv, {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"}, kOutputCap, context().deadline);
    if (!run.startError.empty()) return fail("could not run the command: " + run.startError);
    std::string details = run.output;
    if (run.outputTruncated) details += "\n[output truncated after 64 KiB]";
    if (run.timedOut) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      return failDeadline("did not finish before the run's deadline; killed after " + std::to_string(ms.count()) + " ms",
                          details);
    }
    // The command's own run time: the job's latency (the sandbox's cost is not in it).
    reportLatency(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start));
    reportPerformanceData(run);
    return judge(run.status, firstLine(run.output), details);
  }

 private:
  // The output's Nagios performance data, as named numbers. Output cut at
  // the cap is read to its last whole line: a number cut short
  // ("time=1234" read as "time=12") would be a false figure.
  void reportPerformanceData(const ChildRun& run) {
    std::string_view output = run.output;
    if (run.outputTruncated) {
      size_t lastNewline = output.rfind('\n');
      output = lastNewline == std::string_view::npos ? std::string_view() : output.substr(0, lastNewline);
    }
    for (JobMeasurement& m : parseNagiosOutput(output).measurements) reportMeasurement(std::move(m));
  }

  bool judge(int status, const std::string& line, const std::string& details) {
    if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      return failKilledBySignal(sig, "killed by signal " + std::to_string(sig) + " (" + signalName(sig) + ")", details);
    }
    int code = WEXITSTATUS(status);
    if (code == 0) return succeed(line.empty() ? "OK (exit status 0, no output)" : line, details);
    static const char* const kLabels[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    if (code <= 3) {
      std::string label = kLabels[code];
      if (line.empty()) return fail(label + " (exit status " + std::to_string(code) + ", no output)", details);
      return fail(line.find(label) != std::string::npos ? line : label + ": " + line, details);
    }
    return fail("exit status " + std::to_string(code) + (line.empty() ? ", no output" : ": " + line), details);
  }
};

}  // namespace

std::unique_ptr<JobBase> makeExecJob(JobParams params, JobRunContext context) {
  return std::make_unique<ExecJob>(std::move(params), std::move(context));
}

}  // namespace checker
