#include "bench/chaos/chaos_jobs.h"

namespace checker::bench {
namespace {

constexpr int kHealthyJobs = 40;  // with the rest, about 40 runs a second

// Fails on every run: an exec of test(1) that is false (no shell).
ChaosJob down(const std::string& name, int every, ChaosMode mode, uint32_t threshold) {
  ChaosJob j;
  j.name = name;
  j.command = "/usr/bin/test " + name + " = up";
  j.everySeconds = every;
  j.mode = mode;
  j.failuresBeforeNotify = threshold;
  j.notifyRecovery = mode == ChaosMode::stateChange;
  j.notifies = true;
  j.what = "always failing";
  return j;
}

// Fails for PERIOD s, then succeeds for PERIOD s, and so on (wall clock,
// shifted by OFFSET s so the jobs do not flap together).
ChaosJob flap(const std::string& name, int every, int period, int offset, ChaosMode mode, uint32_t threshold,
              uint32_t recoverAfter) {
  ChaosJob j;
  j.name = name;
  j.command = "test $(( ($(date +%s) + " + std::to_string(offset) + ") / " + std::to_string(period) + " % 2 )) = 0";
  j.shell = true;
  j.everySeconds = every;
  j.mode = mode;
  j.failuresBeforeNotify = threshold;
  j.recoverAfter = recoverAfter;
  j.notifyRecovery = true;
  j.notifies = true;
  j.what = "flapping, " + std::to_string(period) + " s failing / " + std::to_string(period) + " s ok";
  return j;
}

// Fails or succeeds at random: the parity of the shell's pid.
ChaosJob coin(const std::string& name, int every, int failWhen) {
  ChaosJob j;
  j.name = name;
  j.command = "test $(( $$ % 2 )) = " + std::to_string(failWhen);
  j.shell = true;
  j.everySeconds = every;
  j.notifies = true;
  j.what = "flapping at random";
  return j;
}

ChaosJob healthy(const std::string& name, int every) {
  ChaosJob j;
  j.name = name;
  j.command = "/usr/bin/test " + name + " = " + name;
  j.everySeconds = every;
  j.what = "healthy";
  return j;
}

const char* modeName(ChaosMode mode) { return mode == ChaosMode::every ? "every" : "state_change"; }

}  // namespace

std::vector<ChaosJob> chaosJobs(const std::string& tcpTarget) {
  std::vector<ChaosJob> jobs = {
      down("down-every-1", 1, ChaosMode::every, 1),
      down("down-every-2", 2, ChaosMode::every, 2),
      down("down-change-1", 1, ChaosMode::stateChange, 1),
      down("down-change-2", 2, ChaosMode::stateChange, 5),
      flap("flap-1", 1, 3, 0, ChaosMode::stateChange, 1, 1),
      flap("flap-2", 1, 4, 1, ChaosMode::stateChange, 2, 2),
      flap("flap-3", 2, 6, 2, ChaosMode::stateChange, 1, 1),
      flap("flap-4", 2, 10, 3, ChaosMode::every, 1, 1),
      flap("flap-5", 1, 5, 4, ChaosMode::every, 2, 1),
      coin("coin-1", 1, 0),
      coin("coin-2", 2, 1),
  };
  for (int i = 1; i <= kHealthyJobs; ++i) jobs.push_back(healthy("ok-" + std::to_string(i), 1 + i % 2));
  ChaosJob tcp;
  tcp.name = "tcp-imaps";
  tcp.tcpTarget = tcpTarget;
  tcp.everySeconds = 2;
  tcp.what = "healthy (tcp)";
  jobs.push_back(tcp);
  return jobs;
}

std::string chaosConfig(const std::vector<ChaosJob>& jobs, const ChaosMail& mail, const std::string& stateDir,
                        bool notifying) {
  std::string contacts;
  for (const std::string& c : mail.contacts) contacts += (contacts.empty() ? "" : ", ") + c;
  std::string text = "[general]\nservername = chaos\nalertcontact = " + contacts + "\nstatefile = " + stateDir +
                     "\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nuser = " + mail.sender + "\npass = " + mail.password +
                     "\nsmtpserver = " + mail.host + "\nsmtpport = " + std::to_string(mail.submissionPort) +
                     "\nsmtptls = starttls\ncafile = " + mail.caFile + "\nimapserver = " + mail.host +
                     "\nimapport = " + std::to_string(mail.imapsPort) + "\nimaptls = tls\n";
  for (const ChaosJob& j : jobs) {
    if (j.notifies && !notifying) continue;
    text += "\n[job " + j.name + "]\n";
    if (!j.tcpTarget.empty()) {
      text += "type = tcp\ntarget = " + j.tcpTarget + "\n";
    } else {
      text += "type = exec\ncommand = " + j.command + "\n";
      if (j.shell) text += "shell = yes\n";
    }
    text += "every = " + std::to_string(j.everySeconds) + "s\ntimeout = 5s\nnotify = " + modeName(j.mode) +
            "\nfailures_before_notify = " + std::to_string(j.failuresBeforeNotify) +
            "\nrecover_after = " + std::to_string(j.recoverAfter) +
            "\nnotify_recovery = " + (j.notifyRecovery ? "yes" : "no") + "\n";
  }
  return text;
}

}  // namespace checker::bench
