// A plugin job that attacks the worker from inside the worker process
// (where a plugin runs). Param `mode`:
//   ok         returns success (the healthy plugin run)
//   garbage    writes junk before the worker's real reply
//   flood      a frame header declaring one 100 MiB segment, then the bytes
//   truncated  the first bytes of a frame, then _exit(0)
//   exit       _exit(0): no result at all
//   closeout   puts /dev/null on fd 1, so the worker's reply goes nowhere
//   segv       the worker dies of SIGSEGV
//   sleep      never returns (the supervisor's deadline ends it)
//   cpu        spins (the CPU limit ends it)
//   memory     allocates and touches 1 MiB blocks until it cannot
//   stderr     writes 8 MiB to stderr, then succeeds
//   children   forks 4 children running `HELPER sleep MARKER`, then succeeds
//   daemon     double fork + setsid: a grandchild out of the worker's
//              process group runs `HELPER sleep MARKER` holding the run's
//              pipes; succeeds at once
//   badtext    fails with a message, and so a notice subject and body, of
//              invalid UTF-8, control characters and a terminal escape
// HELPER and MARKER are the params `helper` (checker-test-hostile) and
// `marker` (a word a test finds in /proc). Used only by the hostile-job
// tests and checker-bench-soak.
#include <signal.h>
#include <unistd.h>
#include <fcntl.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "jobs/plugin.h"

class HostileCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;

  bool execute() override {
    std::string mode = paramOr("mode", "");
    if (mode == "ok") return true;
    if (mode == "garbage") {
      const char junk[] = "\xde\xad\xbe\xef this is not a Cap'n Proto frame \x01\x02\x03";
      writeAll(1, junk, sizeof junk);
      return true;  // the worker's real reply now follows garbage
    }
    if (mode == "flood") {
      // A frame header declaring one 100 MiB segment, then the bytes.
      const uint32_t header[2] = {0, (100u << 20) / 8};
      writeAll(1, reinterpret_cast<const char*>(header), sizeof header);
      static char chunk[65536];
      for (int i = 0; i < 1600; ++i) writeAll(1, chunk, sizeof chunk);
      return true;
    }
    if (mode == "truncated") {
      // One segment of 16 words announced, 5 words sent, then gone.
      const uint32_t frame[12] = {0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
      writeAll(1, reinterpret_cast<const char*>(frame), sizeof frame);
      ::_exit(0);
    }
    if (mode == "exit") ::_exit(0);  // no result at all
    if (mode == "closeout") {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      return true;
    }
    if (mode == "segv") ::raise(SIGSEGV);
    if (mode == "sleep") {
      for (;;) ::pause();
    }
    if (mode == "cpu") {
      for (unsigned long i = 0;; ++i) asm volatile("" : "+r"(i));  // not optimised away
    }
    if (mode == "memory") return allocateForever();
    if (mode == "stderr") {
      static char chunk[65536];
      std::memset(chunk, 'e', sizeof chunk);
      for (int i = 0; i < 128; ++i) writeAll(2, chunk, sizeof chunk);
      return true;
    }
    if (mode == "children") {
      for (int i = 0; i < 4; ++i) {
        if (::fork() == 0) runHelperSleep();
      }
      return true;
    }
    if (mode == "daemon") {
      pid_t child = ::fork();
      if (child == 0) {
        ::setsid();
        if (::fork() == 0) runHelperSleep();
        ::_exit(0);
      }
      return true;
    }
    if (mode == "badtext") {
      // The default onFailure() makes the notice: subject = message, body = details.
      std::string bad = "plugin \xff\xfe\x1b[31mred\x1b[0m \xed\xa0\x80 bel\a \xc2\x9b" "2J \xe2\x82";
      return fail(bad, "details " + bad + "\r\nline two \xc0\xaf\n" + std::string("nul\0after", 9));
    }
    return fail("unknown mode '" + mode + "'");
  }

 private:
  // In a forked child: becomes `HELPER sleep MARKER` (or just sleeps).
  [[noreturn]] void runHelperSleep() {
    std::string helper = paramOr("helper", ""), marker = paramOr("marker", "hostile-check");
    char* args[] = {helper.data(), const_cast<char*>("sleep"), marker.data(), nullptr};
    if (!helper.empty()) ::execv(helper.c_str(), args);
    for (;;) ::pause();
  }

  bool allocateForever() {
    std::vector<char*> blocks;
    for (size_t mib = 0;; ++mib) {
      char* block = static_cast<char*>(std::malloc(1 << 20));
      if (block == nullptr) return fail("allocation failed after " + std::to_string(mib) + " MiB");
      std::memset(block, 1, 1 << 20);  // touch it: resident, not just reserved
      blocks.push_back(block);
    }
  }

  static void writeAll(int fd, const char* data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd, data, size);
      if (n <= 0) return;
      data += n;
      size -= static_cast<size_t>(n);
    }
  }
};

CHECKER_PLUGIN(HostileCheck)
