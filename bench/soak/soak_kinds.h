#pragma once
// The job kinds of checker-bench-soak and the outcome each must produce.
//
// A kind is what one job does on every run: misbehave in one way (a hostile
// kind, from tests/support: the command checker-test-hostile or the plugin
// HostileCheck) or check something in the ordinary way (a healthy kind,
// which may itself report a failure, as a check of a closed port does).
// Its expected outcome and a word its recorded message must contain are
// written down here from what the kind does and what the sandbox gives it
// (per-run cgroups: the soak refuses to run without them), never taken from
// what checkerd recorded, so a misclassification shows as a difference.
#include <string>
#include <vector>

#include "ipc/job.capnp.h"

namespace checker::bench {

enum class Runner { exec, hostilePlugin, throwingPlugin, tcp };

struct SoakKind {
  std::string name;     // job sections are NAME-1, NAME-2, ...
  bool hostile;
  Runner runner;
  std::string mode;     // checker-test-hostile's MODE or HostileCheck's mode
  std::string limits;   // extra section keys: "timeout = 500ms\n"
  int copies;           // job sections of this kind
  std::string every;    // each one's schedule
  ipc::Outcome expected;
  std::string detail;   // in the recorded message ("" = anything)
  std::string why;      // what the kind does, hence the outcome
};

// Every kind of the soak, healthy and hostile.
const std::vector<SoakKind>& soakKinds();

// Runs per second the kinds ask for together (hostile ones, or healthy).
double wantedRunsPerSecond(bool hostile);

// The longest a run of any kind may take, worker exit and pipe grace
// included: a job process older than this outlived its run.
constexpr int kLongestRunMs = 10'000 + 1'000 + 2'000;

struct SoakSetup {
  std::string stateDir;
  std::string pluginDir;   // holds HostileCheck.so and ThrowingCheck.so
  std::string hostile;     // checker-test-hostile
  std::string markerBase;  // "soak-marker-PID-": job J's processes carry MARKERBASE + J
  int listeningPort = 0;   // the soak accepts on 127.0.0.1:PORT
  int closedPort = 0;      // nothing listens on 127.0.0.1:PORT
};

// settings.cfg for SETUP: [general], [email] nomail, [peerd] on loopback and,
// when WITH_JOBS, one section per copy of every kind.
std::string soakConfig(const SoakSetup& setup, bool withJobs);

// The kind a recorded job belongs to, by its name ("exec-segv-2",
// "tcp-ok-1[127.0.0.1:5]"); nullptr for a job that is none of ours.
const SoakKind* kindOfJob(const std::string& jobName);

}  // namespace checker::bench
