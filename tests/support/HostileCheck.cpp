// A plugin job that attacks the worker's result channel from inside the
// worker process (where a plugin runs): param `mode` = garbage | flood |
// exit | segv | sleep. Used only by the hostile-job tests.
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "jobs/plugin.h"

class HostileCheck : public checker::JobBase {
 public:
  using JobBase::JobBase;

  bool execute() override {
    std::string mode = paramOr("mode", "");
    if (mode == "garbage") {
      const char junk[] = "\xde\xad\xbe\xef this is not a Cap'n Proto frame \x01\x02\x03";
      writeAll(junk, sizeof junk);
      return true;  // the worker's real reply now follows garbage
    }
    if (mode == "flood") {
      // A frame header declaring one 100 MiB segment, then the bytes.
      const uint32_t header[2] = {0, (100u << 20) / 8};
      writeAll(reinterpret_cast<const char*>(header), sizeof header);
      static char chunk[65536];
      for (int i = 0; i < 1600; ++i) writeAll(chunk, sizeof chunk);
      return true;
    }
    if (mode == "exit") ::_exit(0);  // no result at all
    if (mode == "segv") ::raise(SIGSEGV);
    return fail("unknown mode '" + mode + "'");
  }

 private:
  static void writeAll(const char* data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(1, data, size);
      if (n <= 0) return;
      data += n;
      size -= static_cast<size_t>(n);
    }
  }
};

CHECKER_PLUGIN(HostileCheck)
