// checker-bench-mail: alert delivery through the real mail servers of
// tests/mail (started here in a temporary directory, stopped at the end).
//   1. throughput: N outbox entries through checker-mailer into the local
//      SMTP server (Dovecot submission, STARTTLS + AUTH, relayed to
//      OpenSMTPD), 16 in flight as checkerd keeps them; entries accepted
//      per second, and until all are readable over IMAP;
//   2. time to alert: a real checkerd with a job that starts failing; the
//      time from the job's failing result (its log line) to the alert being
//      readable over IMAP (polled every 50 ms), over several rounds.
// Prints its figures; asserts nothing. Needs root (OpenSMTPD) and the
// packages of packaging/install-deps --test.
#include <capnp/message.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "common/unique_fd.h"
#include "ipc/framing.h"
#include "ipc/mailer.capnp.h"
#include "support/daemon_process.h"
#include "support/mail_fixture.h"

extern char** environ;

namespace checker::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSender = 1, kThroughputInbox = 10, kAlertInbox = 11;
constexpr size_t kInFlight = 16;

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Unix ms of a log line's "2026-11-25T01:13:44.383Z" prefix; 0 if none.
int64_t logTimeMs(const std::string& line) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(line.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

std::string config(const test::MailFixture& mail, const std::string& dir, const std::string& extra) {
  return "[general]\nservername = bench\nalertcontact = " + mail.address(kAlertInbox) + "\nstatefile = " + dir +
         "/state\n[peerd]\nlisten = 127.0.0.1:0\n[email]\nuser = " + mail.address(kSender) +
         "\npass = " + mail.password(kSender) +
         "\nsmtpserver = " + mail.host + "\nsmtpport = " + std::to_string(mail.submissionPort) +
         "\nsmtptls = starttls\ncafile = " + mail.caFile + "\nimapserver = " + mail.host +
         "\nimapport = " + std::to_string(mail.imapsPort) + "\nimaptls = tls\n" + extra;
}

void throughput(const test::MailFixture& mail, const std::string& configPath, int count) {
  mail.clearMailbox(kThroughputInbox);
  int pair[2] = {-1, -1};
  ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  UniqueFd ours(pair[0]), theirs(pair[1]);
  std::string mailer = selfDir() + "/checker-mailer";
  std::string parent = "--parent-pid=" + std::to_string(::getpid());
  char* argv[] = {mailer.data(), const_cast<char*>("-c"), const_cast<char*>(configPath.c_str()), parent.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 3);
  pid_t pid = 0;
  ::posix_spawn(&pid, mailer.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  theirs.reset();  // the mailer's copy only: it sees our end close

  auto sendOne = [&](int id) {
    capnp::MallocMessageBuilder message;
    auto entry = message.initRoot<ipc::ToMailer>().initSend();
    entry.setId(static_cast<uint64_t>(id));
    entry.initTo(1).set(0, mail.address(kThroughputInbox));
    entry.setSubject("[bench] throughput " + std::to_string(id));
    entry.setBody("Job: bench\nOutcome: failed\nMessage: throughput message " + std::to_string(id) + "\n");
    ipc::writeMessage(ours.get(), message);
  };
  auto start = Clock::now();
  int sent = 0, answered = 0, accepted = 0;
  while (sent < count && sent < static_cast<int>(kInFlight)) sendOne(++sent);
  while (answered < count) {
    auto reply = ipc::readMessage(ours.get(), 64 * 1024);
    if (!reply) break;
    ++answered;
    accepted += reply->root<ipc::FromMailer>().getSendResult().getAccepted() ? 1 : 0;
    if (sent < count) sendOne(++sent);
  }
  double acceptedSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  size_t readable = 0;
  while (Clock::now() - start < 120s && (readable = mail.fetchAll(kThroughputInbox).size()) < static_cast<size_t>(accepted)) {
    ::usleep(50'000);
  }
  double readableSeconds = std::chrono::duration<double>(Clock::now() - start).count();
  ours.reset();  // the mailer exits when its socket closes
  ::waitpid(pid, nullptr, 0);
  std::printf("throughput: %d alerts, %d accepted in %.2f s = %.0f alerts/s (16 in flight, at most 4 connections, STARTTLS + AUTH);"
              " all %zu readable over IMAP after %.2f s\n",
              count, accepted, acceptedSeconds, accepted / acceptedSeconds, readable, readableSeconds);
}

void timeToAlert(const test::MailFixture& mail, const std::string& dir, int rounds) {
  std::string trigger = dir + "/trigger";
  std::string path = dir + "/alert.cfg";
  std::ofstream(path) << config(mail, dir,
                                "[job bench]\ntype = exec\ncommand = /usr/bin/test ! -e " + trigger + "\nevery = 1s\n");
  ::chmod(path.c_str(), 0600);
  mail.clearMailbox(kAlertInbox);
  test::DaemonProcess daemon({selfDir() + "/checkerd", "-c", path});
  daemon.waitForLine("scheduling", 10s);
  std::vector<double> alertMs, recoveryMs;
  for (int round = 0; round < rounds; ++round) {
    size_t from = daemon.lines().size();
    std::ofstream(trigger) << "fail\n";
    std::string failed = daemon.waitForLine("job bench: failed", 10s, from);
    if (failed.empty() || !mail.waitForMessage(kAlertInbox, "[bench] WARNING", 10s)) break;
    alertMs.push_back(static_cast<double>(wallMs() - logTimeMs(failed)));
    from = daemon.lines().size();
    ::unlink(trigger.c_str());
    std::string recovered = daemon.waitForLine("job bench: ok after", 10s, from);
    if (recovered.empty() || !mail.waitForMessage(kAlertInbox, "[bench] bench recovered", 10s)) break;
    recoveryMs.push_back(static_cast<double>(wallMs() - logTimeMs(recovered)));
    mail.clearMailbox(kAlertInbox);
  }
  daemon.stop(SIGTERM, 20s);
  std::printf("time to alert (failing result -> readable over IMAP, 50 ms polling), %zu rounds: "
              "median %.0f ms, max %.0f ms; recovery notice: median %.0f ms, max %.0f ms\n",
              alertMs.size(), percentile(alertMs, 50), percentile(alertMs, 100), percentile(recoveryMs, 50),
              percentile(recoveryMs, 100));
}

}  // namespace
}  // namespace checker::bench

int main(int argc, char** argv) {
  using namespace checker::bench;
  int count = argc > 1 ? std::atoi(argv[1]) : 300;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 10;
  char tmp[] = "/tmp/checker-bench-mail-XXXXXX";
  std::string dir = ::mkdtemp(tmp);
  ::chmod(dir.c_str(), 0755);
  std::string fixture = dir + "/servers";
  std::string start = std::string("bash ") + CHECKER_MAIL_SERVERS_SCRIPT + " start " + fixture + " >/dev/null";
  if (std::system(start.c_str()) != 0) {
    std::fprintf(stderr, "checker-bench-mail: could not start the mail servers (root? packaging/install-deps --test)\n");
    return 1;
  }
  try {
    checker::test::MailFixture mail = checker::test::MailFixture::load(fixture);
    std::string configPath = dir + "/throughput.cfg";
    std::ofstream(configPath) << config(mail, dir, "");
    ::chmod(configPath.c_str(), 0600);
    throughput(mail, configPath, count);
    timeToAlert(mail, dir, rounds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checker-bench-mail: %s\n", e.what());
  }
  std::string stop = std::string("bash ") + CHECKER_MAIL_SERVERS_SCRIPT + " stop " + fixture + " >/dev/null";
  if (std::system(stop.c_str()) != 0) std::fprintf(stderr, "checker-bench-mail: stopping the mail servers failed\n");
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
