#pragma once
// A whole checkerd instance for tests with several of them on loopback
// (peering, the failure matrix): its name, its peerd port, the mailbox user
// that is its admin, its config file and the running checkerd (a process
// group of its own: checkerd, launcher, workers, mailer, peerd).
//
//   CheckerInstance alpha{"alpha-" + tag, freeLoopbackPort(), 20};
//   alpha.config = dir.write("alpha.cfg", ...instanceConfig(...)...);
//   ASSERT_NO_FATAL_FAILURE(alpha.start());
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.h"
#include "support/mail_fixture.h"
#include "support/run_command.h"

namespace checker::test {

// A loopback port nothing listens on right now (bound, read, released).
inline int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct CheckerInstance {
  std::string name;
  int port = 0;
  int admin = 0;  // mailbox user told about this instance
  std::string config;
  std::unique_ptr<DaemonProcess> daemon;
  std::string host = "127.0.0.1";             // where its peerd listens (an IPv4 address)
  std::vector<std::string> commandPrefix = {};  // runs checkerd through it (`nsenter --net=...`)

  std::string url() const { return "http://" + host + ":" + std::to_string(port); }

  // Starts checkerd and waits until its peerd answers on HOST:PORT.
  void start() {
    std::vector<std::string> argv = commandPrefix;
    argv.insert(argv.end(), {std::string(CHECKER_BIN_DIR) + "/checkerd", "-c", config});
    daemon = std::make_unique<DaemonProcess>(argv);
    ASSERT_NE(daemon->waitForLine("peerd: answering peers on " + host + ":" + std::to_string(port),
                                  std::chrono::seconds(20)),
              "")
        << ::testing::PrintToString(daemon->lines());
  }

  // The whole instance, peerd and mailer included, gone at once.
  void killAll() {
    ::kill(-daemon->pid(), SIGKILL);
    daemon.reset();
  }

  // The pid of the latest CHILD ("mailer", "peerd") from checkerd's
  // "CHILD started (pid N)" lines; 0 if none was logged.
  pid_t childPid(const std::string& child) {
    daemon->drain();
    pid_t pid = 0;
    std::string needle = child + " started (pid ";
    for (const std::string& line : daemon->lines()) {
      size_t at = line.find(needle);
      if (at != std::string::npos) pid = static_cast<pid_t>(std::stol(line.substr(at + needle.size())));
    }
    return pid;
  }

  // `checker status -c CONFIG` once its output matches PATTERN (a regular
  // expression, as ::testing::ContainsRegex reads it), or its last output
  // after TIMEOUT. The state is written within 50 ms of an event; there is
  // no event to wait on but the file, so this polls.
  std::string statusMatching(const std::string& pattern, std::chrono::milliseconds timeout) const {
    std::string output;
    for (auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
      output = runCommand(std::string(CHECKER_BIN_DIR) + "/checker status -c " + config).output;
      if (::testing::Matches(::testing::ContainsRegex(pattern))(output)) break;
    }
    return output;
  }

  // On a failed test, what the instance logged.
  void dumpLog() {
    if (!daemon) return;
    daemon->drain();
    for (const std::string& line : daemon->lines()) std::fprintf(stderr, "%s: %s\n", name.c_str(), line.c_str());
  }
};

// "NAME = URL,ADMIN[,secret=SECRET]": a [peers] line naming PEER.
inline std::string peerLine(const CheckerInstance& peer, const MailFixture& mail, const std::string& secret = "") {
  return peer.name + " = " + peer.url() + "," + mail.address(peer.admin) +
         (secret.empty() ? "" : ",secret=" + secret) + "\n";
}

// SELF's config: [general] with STATE_DIR, [email] sending as mailbox user
// SENDER through SMTP_PORT (STARTTLS; a self-check reads SENDER's INBOX
// over IMAPS) plus EMAIL_EXTRA, [peerd] listening on SELF's host and port with
// PEERD_SETTINGS, [peers] with PEER_LINES, then JOBS.
struct InstanceConfig {
  std::string stateDir;
  int sender = 1;
  int smtpPort = 0;
  std::string emailExtra;
  std::string peerdSettings;
  std::string peerLines;
  std::string jobs;
};

inline std::string instanceConfig(const CheckerInstance& self, const MailFixture& mail, const InstanceConfig& c) {
  std::ostringstream cfg;
  cfg << "[general]\nservername = " << self.name << "\nalertcontact = " << mail.address(self.admin)
      << "\nstatefile = " << c.stateDir << "\n"
      << "[email]\nuser = " << mail.address(c.sender) << "\npass = " << mail.password(c.sender)
      << "\nsmtpserver = " << mail.host << "\nsmtpport = " << c.smtpPort << "\nsmtptls = starttls\ncafile = "
      << mail.caFile << "\nimapserver = " << mail.host << "\nimapport = " << mail.imapsPort << "\nimaptls = tls\n"
      << c.emailExtra << "[peerd]\nlisten = " << self.host << ":" << self.port << "\n"
      << c.peerdSettings << "[peers]\n"
      << c.peerLines << c.jobs;
  return cfg.str();
}

}  // namespace checker::test
