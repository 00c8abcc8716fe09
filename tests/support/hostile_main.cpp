// checker-test-hostile MODE MARKER: a job command that misbehaves on purpose,
// for the hostile-job tests. MARKER is any unique word; it stays in the
// command line of this process and of every child it forks, so a test can
// find leftovers in /proc.
//
// MODE: ok, warn (exit 1), segv, abort, cpu (spins), sleep, noterm (ignores
// SIGTERM and sleeps), memory (allocates until it cannot), files (opens
// until it cannot), sleepers (forks up to 10,000 sleeping children and
// exits 0), forkbomb (every process forks until fork fails, at most 8
// rounds, then sleeps),
// daemon (double fork + setsid; the grandchild keeps stdout and sleeps; the
// command exits 0), closeout (closes stdin, stdout and stderr, exits 2),
// flood (100 MiB on stdout),
// attack PREFIX SUFFIX (SIGKILL, PTRACE_ATTACH and /proc/PID/mem for write
// to every process whose command line holds PREFIX+SUFFIX, given in two
// pieces so that its own does not; prints what it reached, exits 0).
#include <dirent.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int allocateForever() {
  std::vector<char*> blocks;
  for (size_t mib = 0;; ++mib) {
    char* block = static_cast<char*>(std::malloc(1 << 20));
    if (block == nullptr) {
      std::printf("allocation failed after %zu MiB\n", mib);
      return 2;
    }
    std::memset(block, 1, 1 << 20);  // touch it: resident, not just reserved
    blocks.push_back(block);
  }
}

int openForever() {
  for (int count = 0;; ++count) {
    if (::open("/dev/null", O_RDONLY) < 0) {
      std::printf("opened %d files before: %s\n", count, std::strerror(errno));
      return 2;
    }
  }
}

int startSleepers(int wanted) {
  int started = 0;
  for (; started < wanted; ++started) {
    pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      for (;;) ::pause();
    }
  }
  std::printf("started %d of %d sleepers\n", started, wanted);
  return 0;
}

// Parent and child alike keep forking until fork fails (the run's pids
// limit), then all of them sleep: a fork bomb that never finishes on its
// own. Eight rounds at most (256 processes), should it run unsandboxed.
int forkBomb() {
  for (int round = 0; round < 8 && ::fork() >= 0; ++round) {
  }
  for (;;) ::pause();
}

// Double fork and a new session: the grandchild leaves the run's process
// group, keeps the output pipe and sleeps; the command itself exits 0 at once.
int daemonise() {
  std::puts("daemon started");
  pid_t child = ::fork();
  if (child < 0) return 2;
  if (child == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    for (;;) ::pause();
  }
  return 0;
}

int flood(size_t bytes) {
  static char chunk[65536];
  std::memset(chunk, 'x', sizeof chunk);
  for (size_t written = 0; written < bytes;) {
    ssize_t n = ::write(1, chunk, sizeof chunk);
    if (n <= 0) return 1;
    written += static_cast<size_t>(n);
  }
  return 0;
}

// Whether /proc/PID/cmdline holds TARGET (arguments joined by spaces).
bool commandHolds(const char* pid, const std::string& target) {
  int fd = ::open((std::string("/proc/") + pid + "/cmdline").c_str(), O_RDONLY);
  if (fd < 0) return false;
  char text[8192];
  ssize_t got = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (got <= 0) return false;
  for (ssize_t i = 0; i < got; ++i) {
    if (text[i] == '\0') text[i] = ' ';
  }
  text[got] = '\0';
  return std::strstr(text, target.c_str()) != nullptr;
}

int attack(const std::string& target) {
  int found = 0, killed = 0, traced = 0, opened = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return std::puts("attack: no /proc"), 0;
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0 || pid == ::getpid() || !commandHolds(entry->d_name, target)) continue;
    ++found;
    int mem = ::open((std::string("/proc/") + entry->d_name + "/mem").c_str(), O_RDWR);
    if (mem >= 0) ++opened, ::close(mem);
    if (::ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == 0) ++traced, ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
    if (::kill(pid, SIGKILL) == 0) ++killed;
  }
  ::closedir(proc);
  std::printf("attack on %s: found %d, mem opened %d, traced %d, killed %d\n", target.c_str(), found, opened, traced,
              killed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: checker-test-hostile MODE [MARKER]\n");
    return 3;
  }
  std::string mode = argv[1];
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  if (mode == "ok") return std::puts("all is well"), 0;
  if (mode == "warn") return std::puts("WARNING: disk 91% full\nsecond line"), 1;
  if (mode == "segv") ::raise(SIGSEGV);
  if (mode == "abort") std::abort();
  if (mode == "cpu") {
    for (unsigned long i = 0;; ++i) asm volatile("" : "+r"(i));  // not optimised away
  }
  if (mode == "sleep") for (;;) ::pause();
  if (mode == "noterm") {
    ::signal(SIGTERM, SIG_IGN);
    for (;;) ::pause();
  }
  if (mode == "forkbomb") return forkBomb();
  if (mode == "daemon") return daemonise();
  if (mode == "closeout") {
    for (int fd : {0, 1, 2}) ::close(fd);
    return 2;  // CRITICAL, with no output at all
  }
  if (mode == "memory") return allocateForever();
  if (mode == "files") return openForever();
  if (mode == "sleepers") return startSleepers(10000);
  if (mode == "flood") return flood(100u << 20);
  if (mode == "attack" && argc >= 4) return attack(std::string(argv[2]) + argv[3]);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 3;
}
