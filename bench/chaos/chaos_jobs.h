#pragma once
// The load checker-bench-chaos runs: jobs every 1-2 s, some always
// failing, some flapping between failing and succeeding (so failure and
// recovery notices keep being made), some healthy; and the config around
// them ([email] pointing at the local submission server, alerts to two
// mailbox users of the fixture, [peerd] on a free loopback port).
//
// Each job's notification settings are kept here too: the expected notices
// are derived from its recorded runs with the rules of DESIGN.md's policy
// for these settings (expected_notices.h).
#include <cstdint>
#include <string>
#include <vector>

namespace checker::bench {

enum class ChaosMode { every, stateChange };

struct ChaosJob {
  std::string name;     // the section name: [job NAME]
  std::string command;  // exec command; empty for the tcp job
  bool shell = false;
  std::string tcpTarget;  // host:port, for the one tcp job
  int everySeconds = 1;
  ChaosMode mode = ChaosMode::stateChange;
  uint32_t failuresBeforeNotify = 1;
  uint32_t recoverAfter = 1;
  bool notifyRecovery = true;
  bool notifies = false;  // may fail, so notices are expected of it
  std::string what;       // for the printed job list: "always failing", ...
};

// The jobs; TCP_TARGET (host:port of a server that accepts) for the healthy tcp job.
std::vector<ChaosJob> chaosJobs(const std::string& tcpTarget);

struct ChaosMail {
  std::string host, sender, password, caFile;
  int submissionPort = 0, imapsPort = 0;
  std::vector<std::string> contacts;  // alertcontact
};

// The whole config. With NOTIFYING false only the jobs that never notify
// are in it (the final drain: the outbox then only empties).
std::string chaosConfig(const std::vector<ChaosJob>& jobs, const ChaosMail& mail, const std::string& stateDir,
                        bool notifying);

}  // namespace checker::bench
