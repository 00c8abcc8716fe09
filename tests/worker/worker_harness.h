#pragma once
// Running the real checker-worker from a test: build a request with capnp,
// start build/bin/checker-worker in its own session (as uv_spawn with
// UV_PROCESS_DETACHED does), write the request on its stdin, read the reply
// from its stdout with ipc::readMessage, wait for its exit. Every wait is
// bounded (pidfd + poll, never a sleep), and the destructor SIGKILLs the
// worker's process group and reaps it on every path.
//
// The test process makes itself a child subreaper (becomeSubreaper), so
// whatever a job leaves behind is re-parented to it rather than to init;
// reapAllChildren() kills and reaps all of it at the end of each test.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ipc/framing.h"
#include "ipc/job.capnp.h"

namespace checker::test {

inline constexpr std::chrono::seconds kWait{30};  // upper bound of any wait here

// One `run` request. The deadline defaults to 20 s from when it is built.
struct RunSpec {
  std::string type = "exec";
  std::vector<std::pair<std::string, std::string>> params;
  uint32_t timeoutMs = 20'000;
  uint32_t cpuSeconds = 0;
  uint64_t memoryBytes = 0;
  uint32_t openFiles = 0;
  uint32_t processes = 0;
  uint64_t fileSizeBytes = 0;
  std::string pluginDir;
  std::string workDir;
  std::vector<std::string> cgroupDirs;
  bool dropPrivileges = false;
  uint32_t runUid = 65534;
  uint32_t runGid = 65534;
  bool useNprocLimit = false;
  bool isolate = false;               // own namespaces, scratch, read-only file system
  uint64_t scratchBytes = 64ull << 20;
  std::vector<std::string> writablePaths;
  std::vector<std::string> capabilities;
};

// An exec job running SCRIPT with /bin/sh -c in WORKDIR.
RunSpec shellJob(const std::string& script, const std::string& workDir);

std::string buildRunRequest(const RunSpec& spec);  // one framed WorkerRequest
std::string buildDescribeRequest(const std::string& type, const std::string& pluginDir);

struct SpawnOptions {
  bool ownSession = true;       // setsid() before exec, as uv_spawn(DETACHED)
  bool passParentPid = true;    // --parent-pid=<this process>
  std::vector<std::string> env = {"CHECKER_TEST_LEAK=1", "HOME=/root", "PATH=/usr/bin:/bin"};
};

class WorkerProcess {
 public:
  WorkerProcess() = default;
  ~WorkerProcess();  // SIGKILL to the group and the worker, then reaped
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Starts the worker; false with *error on failure.
  bool start(const SpawnOptions& options, std::string* error);
  pid_t pid() const { return pid_; }

  // Writes BYTES on the worker's stdin, then closes it.
  bool writeRequest(const std::string& bytes, std::string* error);
  // The reply, once it comes; nullptr at EOF without one, or on timeout
  // (then the worker is killed), with *error saying which.
  std::unique_ptr<ipc::DecodedMessage> readReply(std::string* error);
  // Waits for the exit and returns the waitpid status; false on timeout.
  bool waitExit(int* status);
  // What the worker wrote on stderr (after it exited).
  std::string stderrText() const;

 private:
  void killAndReap();

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string stderrPath_;
  bool reaped_ = false;
};

// Everything about one whole run.
struct WorkerRun {
  int status = -1;  // waitpid status, -1 when it never exited in time
  std::unique_ptr<ipc::DecodedMessage> reply;
  std::string replyError;
  std::string stderrText;
  pid_t pid = -1;
};
WorkerRun runWorker(const std::string& request, const SpawnOptions& options = {});

// The result of a run reply; fails the calling test (ADD_FAILURE) and
// returns a default reader when the run has none.
ipc::JobResult::Reader resultOf(WorkerRun& run);

void becomeSubreaper();
// SIGKILLs and reaps every child of this process; returns how many.
int reapAllChildren();

// A pidfd for PID (-1 on failure) and a bounded wait for its exit.
int openPidfd(pid_t pid);
bool waitPidfd(int pidfd, std::chrono::milliseconds timeout);

bool runningAsRoot();
bool sanitizedBuild();
std::string workerPath();
std::string readText(const std::string& path);  // "" when unreadable

}  // namespace checker::test
