#include "bench/chaos/checkerd_life.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench/chaos/process_tree.h"

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A needle no log line holds: waitForLine with it just reads until the time is up.
constexpr const char* kNoLine = "\x01no such line\x01";

bool contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

std::chrono::milliseconds left(Clock::time_point from, std::chrono::milliseconds at) {
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(from + at - Clock::now());
  return remaining.count() > 0 ? remaining : 0ms;
}

}  // namespace

bool isStateError(const std::string& line) {
  if (!contains(line, " error: ")) return false;
  return contains(line, "state") || contains(line, "mdb") || contains(line, "LMDB") || contains(line, "cannot run") ||
         contains(line, "unreadable");
}

std::string checkStatus(const std::string& binDir, const std::string& configPath, long* pending) {
  std::string command = binDir + "/checker status --json -c " + configPath + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int status = ::pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0 && code != 1) return "checker status exited " + std::to_string(code) + ": " + out;
  if (!contains(out, "\"state_error\": \"\"")) return "checker status: " + out;
  if (pending) {
    size_t at = out.find("\"pending\": ");
    *pending = at == std::string::npos ? -1 : std::atol(out.c_str() + at + 11);
  }
  return "";
}

CheckerdLife::CheckerdLife(LifeOptions options) : options_(std::move(options)) {
  spawned_ = Clock::now();
  daemon_ = std::make_unique<test::DaemonProcess>(
      std::vector<std::string>{options_.binDir + "/checkerd", "-c", options_.configPath});
}

CheckerdLife::~CheckerdLife() {
  if (!reaped_ && daemon_) killTree();  // an exception on the way: leave nothing running
  saveLog();
}

double CheckerdLife::sinceSpawnMs() const {
  return std::chrono::duration<double, std::milli>(Clock::now() - spawned_).count();
}

bool CheckerdLife::exited() {
  if (reaped_) return true;
  return !alive(daemon_->pid());
}

StartCheck CheckerdLife::awaitStart(std::chrono::milliseconds until) {
  StartCheck check;
  std::string line = daemon_->waitForLine("] info: scheduling ", left(spawned_, until));
  if (line.empty()) return check;
  check.ready = true;
  check.readyMs = sinceSpawnMs();
  for (const std::string& l : daemon_->lines()) {
    if (isStateError(l)) check.stateErrors.push_back(l);
  }
  check.statusProblem = checkStatus(options_.binDir, options_.configPath);
  check.statusOk = check.statusProblem.empty();
  return check;
}

void CheckerdLife::runUntil(std::chrono::milliseconds at) {
  while (Clock::now() < spawned_ + at) {
    daemon_->waitForLine(kNoLine, left(spawned_, at), daemon_->lines().size());
    if (exited()) return;
    if (Clock::now() < spawned_ + at) ::usleep(10'000);  // the log ended early: do not spin
  }
}

bool CheckerdLife::awaitLine(const std::string& needle, std::chrono::milliseconds timeout) {
  return !daemon_->waitForLine(needle, timeout, daemon_->lines().size()).empty();
}

KillFacts CheckerdLife::killTree() {
  KillFacts facts;
  pid_t pid = daemon_->pid();
  std::vector<pid_t> tree = processTree(pid);
  auto start = Clock::now();
  killAll(pid, tree);
  int status = daemon_->stop(SIGKILL, 5s);  // reaps checkerd and reads the rest of its log
  reaped_ = true;
  facts.byUs = status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  facts.howItEnded = status == -1          ? "not reaped within 5 s"
                     : WIFEXITED(status)   ? "exit status " + std::to_string(WEXITSTATUS(status))
                     : WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                           : "wait status " + std::to_string(status);
  std::vector<pid_t> survivors = waitGone(tree, 5s);
  facts.processes = tree.size();
  facts.goneMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  facts.survivors.assign(survivors.begin(), survivors.end());
  return facts;
}

bool CheckerdLife::stop(std::chrono::milliseconds timeout) {
  int status = daemon_->stop(SIGTERM, timeout);
  if (status == -1) return false;
  reaped_ = true;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<std::string> CheckerdLife::errorLines() const {
  std::vector<std::string> out;
  for (const std::string& l : daemon_->lines()) {
    if (contains(l, " error: ")) out.push_back(l);
  }
  return out;
}

std::vector<std::string> CheckerdLife::stateErrorLines() const {
  std::vector<std::string> out;
  for (const std::string& l : daemon_->lines()) {
    if (isStateError(l)) out.push_back(l);
  }
  return out;
}

void CheckerdLife::saveLog() {
  if (saved_ || options_.logPath.empty()) return;
  saved_ = true;
  daemon_->drain();
  std::ofstream out(options_.logPath, std::ios::app);
  out << "==== life " << options_.number << " ====\n";
  for (const std::string& l : daemon_->lines()) out << l << "\n";
}

}  // namespace checker::bench
