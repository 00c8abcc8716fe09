#pragma once
// A real checkerd for the status page and /metrics tests: a config in a
// temporary directory with a passing and a failing exec job (every second),
// no mail, peerd on 127.0.0.1:0 and a short jobproblem_after (heartbeats,
// and with them the supervisor's counters, every second). Its one peer
// answers nothing and is asked daily, at midnight, so it is "not asked yet"
// on the page (a peer asked every minute is asked at a phase fixed by its
// id: in some runs within the test, in others not). start() waits for
// checkerd's log line that names peerd's port; get() asks it over a raw
// socket. The process group is killed when the instance goes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "support/daemon_process.h"
#include "support/loopback_http.h"
#include "support/temp_dir.h"

namespace checker::test {

class StatusInstance {
 public:
  // EXTRA_PEERD: more [peerd] lines (status_page = ..., metrics = ...).
  static constexpr const char* kJobs =
      "[job healthy web]\ntype = exec\ncommand = /bin/true\nevery = 1s\n"
      "[job broken backup]\ntype = exec\ncommand = /bin/false\nevery = 1s\n";

  explicit StatusInstance(const std::string& extraPeerd = "", const std::string& name = "status-test") : name_(name) {
    ::chmod(dir_.path().c_str(), 0755);
    head_ = headWith(extraPeerd);
    config_ = dir_.write("settings.cfg", head_ + kJobs);
  }

  // Writes the config again with EXTRA_PEERD as the [peerd] lines and sends
  // checkerd SIGHUP: a [peerd] change restarts peerd, which takes a new
  // port (listen is port 0). False when peerd did not say its new port.
  bool reloadWithPeerd(const std::string& extraPeerd) {
    head_ = headWith(extraPeerd);
    dir_.write("settings.cfg", head_ + kJobs);
    size_t from = daemon_->lines().size();
    ::kill(daemon_->pid(), SIGHUP);
    std::string line = daemon_->waitForLine("peerd: answering peers on 127.0.0.1:", std::chrono::seconds(20), from);
    if (line.empty()) return false;
    port_ = std::stoi(line.substr(line.rfind(':') + 1));
    return true;
  }

  // Writes the config again with JOBS as its job sections and sends
  // checkerd SIGHUP; false when it refused the config or did not log the
  // reload's result.
  bool reloadWithJobs(const std::string& jobs) {
    dir_.write("settings.cfg", head_ + jobs);
    size_t from = daemon_->lines().size();
    ::kill(daemon_->pid(), SIGHUP);
    // "reload (SIGHUP): reading FILE", then its result on a line of its own.
    std::string line = daemon_->waitForLine("reload (SIGHUP): reading", std::chrono::seconds(20), from);
    if (line.empty()) return false;
    while (from < daemon_->lines().size() && daemon_->lines()[from] != line) ++from;
    line = daemon_->waitForLine("reload (SIGHUP)", std::chrono::seconds(20), from + 1);
    return !line.empty() && line.find("refused") == std::string::npos;
  }

  // Starts checkerd; false when peerd did not report its port in time.
  bool start() {
    daemon_ = std::make_unique<DaemonProcess>(
        std::vector<std::string>{std::string(CHECKER_BIN_DIR) + "/checkerd", "-c", config_});
    std::string line = daemon_->waitForLine("peerd: answering peers on 127.0.0.1:", std::chrono::seconds(20));
    if (line.empty()) return false;
    port_ = std::stoi(line.substr(line.rfind(':') + 1));
    return true;
  }

  // Waits for the failing job's COUNT-th failure in the log (the state is
  // written within 50 ms of it).
  bool waitForFailures(int count) {
    size_t from = 0;
    for (int i = 0; i < count; ++i) {
      std::string line = daemon_->waitForLine("job broken backup: failed", std::chrono::seconds(20), from);
      if (line.empty()) return false;
      for (from = 0; from < daemon_->lines().size() && daemon_->lines()[from] != line; ++from) {
      }
      ++from;
    }
    return true;
  }

  // The whole answer to a GET of PATH with ACCEPT ("" for none), read until
  // the server closes (the request says Connection: close).
  std::string get(const std::string& path, const std::string& accept = "") const {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                    (accept.empty() ? "" : "\r\nAccept: " + accept) + "\r\nConnection: close\r\n\r\n");
  }

  std::string exchange(const std::string& request) const { return test::loopbackExchange(port_, request); }

  // GET PATH until what it answers satisfies DONE (the page and /metrics are
  // made at most once a second, and the counters come with the heartbeat);
  // the last answer either way.
  template <typename Done>
  std::string getUntil(const std::string& path, const std::string& accept, Done done,
                       std::chrono::seconds timeout = std::chrono::seconds(15)) {
    std::string answer;
    for (auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;) {
      answer = get(path, accept);
      if (done(answer)) return answer;
      daemon_->drain();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a retry, not a synchronisation
    }
    return answer;
  }

  static std::string bodyOf(const std::string& response) {
    size_t end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  DaemonProcess& daemon() { return *daemon_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::string headWith(const std::string& extraPeerd) const {
    return "[general]\nservername = " + name_ + "\nalertcontact = admin@example.org\nstatefile = " +
           dir_.file("state") +
           "\n[email]\nnomail = yes\n"
           "[peerd]\nlisten = 127.0.0.1:0\njobproblem_after = 4s\ncheck_every = day\n" +
           extraPeerd + "[peers]\nbackup = http://127.0.0.1:1/,backup-admin@example.org\n";
  }

  std::string name_;
  std::string head_;  // the config but its jobs
  std::string config_;
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = 0;
};

}  // namespace checker::test
