#pragma once
// Helpers for the job tests: real servers on loopback, started as child
// processes that are always killed and reaped; free ports; a throwaway PKI
// made with the openssl command line.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "jobs/job_base.h"
#include "support/temp_dir.h"

namespace checker::test {

// A background program. stdin is /dev/null, stdout and stderr go to LOGFILE.
// The destructor kills it (SIGKILL) and reaps it, on every path.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& logFile);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();  // false once it has exited (then reaped)

 private:
  pid_t pid_ = -1;
};

// Runs ARGV to completion; returns its exit code (-1 if it could not run or
// died of a signal) and appends stdout + stderr to *output.
int runCommand(const std::vector<std::string>& argv, std::string* output);

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, closed).
uint16_t freePort();

// Connects to 127.0.0.1:PORT until it accepts, up to TIMEOUT, retrying
// every 20 ms; false early when SERVER has exited.
bool waitForPort(uint16_t port, Process& server, std::chrono::milliseconds timeout = std::chrono::seconds(15));

// A listening socket on 127.0.0.1 that never accepts.
class Listener {
 public:
  explicit Listener(int backlog);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A throwaway CA in DIR and server certificates it signs (EC P-256).
class TestPki {
 public:
  explicit TestPki(const TempDir& dir);
  const std::string& caFile() const { return caFile_; }

  struct Cert {
    std::string certFile, keyFile;
  };
  // DAYS may be negative (already expired). SAN like "DNS:localhost,IP:127.0.0.1".
  Cert issue(const std::string& name, int days, const std::string& san);

 private:
  const TempDir& dir_;
  std::string caFile_, caKey_;
  int serial_ = 1;
};

// `openssl s_server -www` on 127.0.0.1 with CERT, ready to accept.
class TlsServer {
 public:
  TlsServer(const TempDir& dir, const TestPki::Cert& cert);
  uint16_t port() const { return port_; }
  bool ready() const { return ready_; }

 private:
  uint16_t port_;
  Process process_;
  bool ready_ = false;
};

// A run context with a deadline TIMEOUT from now.
JobRunContext contextWithin(std::chrono::milliseconds timeout, std::string name = "test job");

// The named number NAME a run reported, or nullptr.
inline const JobMeasurement* findMeasurement(const std::vector<JobMeasurement>& measured, const std::string& name) {
  for (const JobMeasurement& m : measured) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace checker::test
