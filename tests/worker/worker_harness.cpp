#include "worker_harness.h"

#include <capnp/message.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/sys_error.h"

namespace checker::test {
namespace {

int64_t unixMsNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void closeIf(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

RunSpec shellJob(const std::string& script, const std::string& workDir) {
  RunSpec spec;
  spec.params = {{"command", script}, {"shell", "yes"}};
  spec.workDir = workDir;
  return spec;
}

std::string buildRunRequest(const RunSpec& spec) {
  capnp::MallocMessageBuilder message;
  auto run = message.initRoot<ipc::WorkerRequest>().initRun();
  run.setJobId("test:" + spec.type);
  run.setJobName("worker test");
  run.setType(spec.type);
  auto params = run.initParams(static_cast<unsigned>(spec.params.size()));
  for (unsigned i = 0; i < spec.params.size(); ++i) {
    params[i].setKey(spec.params[i].first);
    params[i].setValue(spec.params[i].second);
  }
  auto limits = run.initLimits();
  limits.setTimeoutMs(spec.timeoutMs);
  limits.setCpuSeconds(spec.cpuSeconds);
  limits.setMemoryBytes(spec.memoryBytes);
  limits.setOpenFiles(spec.openFiles);
  limits.setProcesses(spec.processes);
  limits.setFileSizeBytes(spec.fileSizeBytes);
  run.setDeadlineUnixMs(unixMsNow() + spec.timeoutMs);
  run.setPluginDir(spec.pluginDir);
  run.setServerName("test-server");
  auto sandbox = run.initSandbox();
  sandbox.setWorkDir(spec.workDir);
  auto dirs = sandbox.initCgroupDirs(static_cast<unsigned>(spec.cgroupDirs.size()));
  for (unsigned i = 0; i < spec.cgroupDirs.size(); ++i) dirs.set(i, spec.cgroupDirs[i]);
  sandbox.setDropPrivileges(spec.dropPrivileges);
  sandbox.setRunUid(spec.runUid);
  sandbox.setRunGid(spec.runGid);
  sandbox.setUseNprocLimit(spec.useNprocLimit);
  sandbox.setIsolate(spec.isolate);
  sandbox.setScratchBytes(spec.scratchBytes);
  auto paths = sandbox.initWritablePaths(static_cast<unsigned>(spec.writablePaths.size()));
  for (unsigned i = 0; i < spec.writablePaths.size(); ++i) paths.set(i, spec.writablePaths[i]);
  auto caps = sandbox.initCapabilities(static_cast<unsigned>(spec.capabilities.size()));
  for (unsigned i = 0; i < spec.capabilities.size(); ++i) caps.set(i, spec.capabilities[i]);
  return ipc::encode(message);
}

std::string buildDescribeRequest(const std::string& type, const std::string& pluginDir) {
  capnp::MallocMessageBuilder message;
  auto describe = message.initRoot<ipc::WorkerRequest>().initDescribe();
  describe.setSectionName("plugin");
  describe.setType(type);
  describe.setPluginDir(pluginDir);
  auto params = describe.initParams(1);
  params[0].setKey("path");
  params[0].setValue("/etc/hostname");
  return ipc::encode(message);
}

// ---- WorkerProcess ------------------------------------------------------------

bool WorkerProcess::start(const SpawnOptions& options, std::string* error) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    *error = describeErrno("pipe2", "stdin", errno);
    return false;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    *error = describeErrno("pipe2", "stdout", errno);
    ::close(in[0]);
    ::close(in[1]);
    return false;
  }
  char pattern[] = "/tmp/checker-worker-stderr-XXXXXX";
  int errFd = ::mkostemp(pattern, O_CLOEXEC);
  if (errFd < 0) {
    *error = describeErrno("mkostemp", pattern, errno);
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return false;
  }
  stderrPath_ = pattern;

  std::string binary = workerPath();
  std::string parentFlag = "--parent-pid=" + std::to_string(::getpid());
  std::vector<char*> argv{binary.data()};
  if (options.passParentPid) argv.push_back(parentFlag.data());
  argv.push_back(nullptr);
  std::vector<std::string> envCopy = options.env;
  std::vector<char*> envp;
  for (std::string& entry : envCopy) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_t child = ::fork();
  if (child == 0) {
    // Only async-signal-safe calls from here on.
    if (options.ownSession) ::setsid();
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(errFd, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int forkErrno = errno;
  ::close(in[0]);
  ::close(out[1]);
  ::close(errFd);
  stdin_ = in[1];
  stdout_ = out[0];
  if (child < 0) {
    *error = describeErrno("fork", binary, forkErrno);
    closeIf(stdin_);
    closeIf(stdout_);
    return false;
  }
  pid_ = child;
  pidfd_ = openPidfd(child);
  return true;
}

WorkerProcess::~WorkerProcess() {
  killAndReap();
  closeIf(stdin_);
  closeIf(stdout_);
  closeIf(pidfd_);
  if (!stderrPath_.empty()) ::unlink(stderrPath_.c_str());
}

void WorkerProcess::killAndReap() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(-pid_, SIGKILL);  // its process group, once it made its own session
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

bool WorkerProcess::writeRequest(const std::string& bytes, std::string* error) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote = ::write(stdin_, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) {
      *error = describeErrno("write", "worker stdin", errno);
      closeIf(stdin_);
      return false;
    }
    done += static_cast<size_t>(wrote);
  }
  closeIf(stdin_);
  return true;
}

std::unique_ptr<ipc::DecodedMessage> WorkerProcess::readReply(std::string* error) {
  pollfd ready{stdout_, POLLIN, 0};
  int got = ::poll(&ready, 1, static_cast<int>(std::chrono::milliseconds(kWait).count()));
  if (got <= 0) {
    *error = "no reply within " + std::to_string(kWait.count()) + " s";
    killAndReap();
    return nullptr;
  }
  try {
    auto reply = ipc::readMessage(stdout_, ipc::kDefaultMaxFrameBytes);
    if (!reply) *error = "EOF without a reply";
    return reply;
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

bool WorkerProcess::waitExit(int* status) {
  if (reaped_) return false;
  if (pidfd_ >= 0 && !waitPidfd(pidfd_, kWait)) {
    killAndReap();
    return false;
  }
  while (::waitpid(pid_, status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  reaped_ = true;
  return true;
}

std::string WorkerProcess::stderrText() const { return readText(stderrPath_); }

WorkerRun runWorker(const std::string& request, const SpawnOptions& options) {
  WorkerRun run;
  WorkerProcess worker;
  if (!worker.start(options, &run.replyError)) return run;
  run.pid = worker.pid();
  std::string writeError;
  if (!worker.writeRequest(request, &writeError)) run.replyError = writeError;
  run.reply = worker.readReply(&run.replyError);
  int status = 0;
  if (worker.waitExit(&status)) run.status = status;
  run.stderrText = worker.stderrText();
  return run;
}

ipc::JobResult::Reader resultOf(WorkerRun& run) {
  if (!run.reply) {
    ADD_FAILURE() << "no reply: " << run.replyError << "; worker stderr: " << run.stderrText;
    return {};
  }
  auto reply = run.reply->root<ipc::WorkerReply>();
  if (!reply.isResult()) {
    ADD_FAILURE() << "the reply is not a result";
    return {};
  }
  return reply.getResult();
}

// ---- processes ----------------------------------------------------------------

void becomeSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int reapAllChildren() {
  int reaped = 0;
  pid_t self = ::getpid();
  for (int round = 0; round < 50; ++round) {
    std::vector<pid_t> children;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) break;
    while (dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      long pid = std::strtol(entry->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      std::string stat = readText("/proc/" + std::to_string(pid) + "/stat");
      size_t close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream fields(stat.substr(close + 2));
      std::string state;
      long ppid = 0;
      if (fields >> state >> ppid && ppid == self) children.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(proc);
    if (children.empty()) break;
    for (pid_t child : children) {
      ::kill(child, SIGKILL);
      int status = 0;
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      ++reaped;
    }
  }
  return reaped;
}

int openPidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool waitPidfd(int pidfd, std::chrono::milliseconds timeout) {
  pollfd ready{pidfd, POLLIN, 0};
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() < 0) return false;
    int got = ::poll(&ready, 1, static_cast<int>(left.count()));
    if (got < 0 && errno == EINTR) continue;
    return got > 0;
  }
}

bool runningAsRoot() { return ::geteuid() == 0; }

bool sanitizedBuild() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

std::string workerPath() { return std::string(CHECKER_BIN_DIR) + "/checker-worker"; }

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace checker::test
