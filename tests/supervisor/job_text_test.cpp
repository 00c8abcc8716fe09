// Whatever bytes a job prints, what leaves checker is valid UTF-8 and every
// JSON it writes parses: a real checkerd runs an exec job whose first line
// is a crafted mix of invalid UTF-8 and control characters, one that prints
// 3 MB of /dev/urandom, and a plugin that fails with such bytes in its
// message and notice; then `checker status --json`, `checker peers --json`,
// the status page, /metrics and the outbox (the notices waiting for an SMTP
// server that refuses connections) are read back.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "state/state_store.h"
#include "ipc/framing.h"
#include "ipc/state.capnp.h"
#include "support/daemon_process.h"
#include "support/loopback_http.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/utf8_check.h"

namespace checker {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const std::string kBin = CHECKER_BIN_DIR;
const std::string kBad = "\xEF\xBF\xBD";  // U+FFFD

bool validUtf8(std::string_view text) { return test::validUtf8ByJsonReader(text); }

// A control character other than tab (and, when ALLOW_NEWLINE, line feed)
// in valid UTF-8 TEXT: C0, DEL, or a C1 code point (C2 80..C2 9F).
bool hasControl(const std::string& text, bool allowNewline) {
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\t' || (allowNewline && c == '\n')) continue;
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F) return true;
  }
  return false;
}

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("no free loopback port");
  return ntohs(address.sin_port);
}

// The body of a GET of PATH on 127.0.0.1:PORT (Connection: close).
std::string httpGet(int port, const std::string& path, const std::string& accept) {
  return test::bodyOf(test::loopbackExchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " +
                                                        accept + "\r\nConnection: close\r\n\r\n"));
}

struct Outbox {
  std::map<std::string, std::pair<std::string, std::string>> byJob;  // job id -> subject, body
};

Outbox readOutbox(const std::string& stateDir) {
  Outbox outbox;
  StateStore store = StateStore::openReadOnly(stateDir);
  ReadTransaction txn = store.beginRead();
  txn.forEach(StateDb::outbox, [&](std::string_view, std::string_view value) {
    auto decoded = ipc::decode(value);  // owns what ENTRY reads
    auto entry = decoded->root<ipc::OutboxEntry>();
    outbox.byJob[entry.getJobId().cStr()] = {std::string(entry.getSubject().cStr(), entry.getSubject().size()),
                                             std::string(entry.getBody().cStr(), entry.getBody().size())};
    return true;
  });
  return outbox;
}

TEST(JobText, WhateverAJobPrintsEverythingThatLeavesIsValidUtf8) {
  test::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  int peerdPort = freeLoopbackPort(), smtpPort = freeLoopbackPort();  // nothing will listen on smtpPort
  // dash's printf: octal escapes. ESC [31m, FF, C3 before a space, SOH,
  // DEL, C2 9B (CSI as a C1 code point), then Nagios performance data.
  const std::string noisy = "printf 'CRITICAL \\033[31m\\377\\303 bad\\001\\177\\302\\233|perf\\n'; "
                            "head -c 1000000 /dev/urandom; exit 2";
  const std::string random = "head -c 3000000 /dev/urandom; exit 2";
  std::string config = dir.write(
      "settings.cfg",
      "[general]\nservername = text-test\nalertcontact = admin@example.org\nstatefile = " + dir.file("state") +
          "\nplugindir = " + kBin + "/../plugins\n"
          "[email]\nuser = checker@example.org\npass = unused\nsmtpserver = 127.0.0.1\nsmtpport = " +
          std::to_string(smtpPort) + "\nsmtptls = none\nimapserver = 127.0.0.1\nimapport = " +
          std::to_string(smtpPort) +
          "\nimaptls = none\nselfcheck_every = day\n"
          "[peerd]\nlisten = 127.0.0.1:" + std::to_string(peerdPort) + "\ncheck_every = day\n"
          "[peers]\nself = http://127.0.0.1:" + std::to_string(peerdPort) +
          "/,peer-admin@example.org,secret=job-text-test-secret-0123456789\n"
          "[job noisy]\ntype = exec\nshell = yes\ncommand = " + noisy + "\nevery = 2s\n"
          "[job random]\ntype = exec\nshell = yes\ncommand = " + random + "\nevery = 2s\n"
          "[job plugin]\ntype = HostileCheck\nmode = badtext\nevery = 2s\n");

  test::DaemonProcess daemon({kBin + "/checkerd", "-c", config});
  for (const char* logged : {"job noisy: failed", "job random: failed", "job plugin: failed"}) {
    ASSERT_NE(daemon.waitForLine(logged, 60s), "") << logged << "\n" << ::testing::PrintToString(daemon.lines());
  }
  // An exec job with shell = yes is "exec:COMMAND (shell)".
  const std::string noisyId = "exec:" + noisy + " (shell)", randomId = "exec:" + random + " (shell)";
  const std::string pluginId = "plugin:HostileCheck:plugin";

  // The notices wait in the outbox (the state is written within 50 ms of a
  // run; nothing announces it, so this polls, bounded).
  Outbox outbox;
  auto allThere = [&] {
    return outbox.byJob.count(noisyId) && outbox.byJob.count(randomId) && outbox.byJob.count(pluginId);
  };
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !allThere() && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
    outbox = readOutbox(dir.file("state"));
  }
  for (const std::string& id : {noisyId, randomId, pluginId}) {
    ASSERT_EQ(outbox.byJob.count(id), 1u) << id << "\nin the outbox: " << ::testing::PrintToString(outbox.byJob);
    const auto& [subject, body] = outbox.byJob[id];
    EXPECT_TRUE(validUtf8(subject)) << id << ": " << ::testing::PrintToString(subject);
    EXPECT_FALSE(hasControl(subject, false)) << id << ": " << ::testing::PrintToString(subject);
    EXPECT_TRUE(validUtf8(body)) << id << ": " << ::testing::PrintToString(body);
    EXPECT_FALSE(hasControl(body, true)) << id << ": " << ::testing::PrintToString(body);
  }
  const std::string noisyMessage = "CRITICAL \\x1b[31m" + kBad + kBad + " bad\\x01\\x7f\\x9b";
  EXPECT_THAT(outbox.byJob[noisyId].second, HasSubstr("Message: " + noisyMessage + "\n"));
  EXPECT_THAT(outbox.byJob[pluginId].first, HasSubstr("plugin " + kBad + kBad + "\\x1b[31mred\\x1b[0m"));
  EXPECT_THAT(outbox.byJob[pluginId].second, HasSubstr("\nline two " + kBad + kBad + "\nnul"));

  // checker status --json: one JSON document, each message one clean line.
  EXPECT_EQ(test::runCommand(kBin + "/checker status --json -c " + config + " | /usr/bin/python3 -m json.tool").exitCode,
            0);
  test::CommandResult status = test::runCommand(kBin + "/checker status --json -c " + config);
  ASSERT_TRUE(Json::accept(status.output)) << ::testing::PrintToString(status.output);
  std::map<std::string, std::string> messages;
  Json shown = Json::parse(status.output);
  for (const Json& job : shown["jobs"]) {
    messages[job["id"].get<std::string>()] = job["message"].get<std::string>();
  }
  for (const std::string& id : {noisyId, randomId, pluginId}) {
    EXPECT_FALSE(messages[id].empty()) << id;
    EXPECT_FALSE(hasControl(messages[id], false)) << id << ": " << ::testing::PrintToString(messages[id]);
    EXPECT_LE(messages[id].size(), 1024u) << id;
  }
  EXPECT_EQ(messages[noisyId], noisyMessage);

  // checker peers --json asks this instance's own signed answer (the peer
  // JSON document); whatever it says of it, it prints JSON.
  test::CommandResult peers = test::runCommand(kBin + "/checker peers --json -c " + config);
  EXPECT_TRUE(Json::accept(peers.output)) << ::testing::PrintToString(peers.output);

  // The status page and /metrics (made at most once a second, from the
  // same state): valid UTF-8, the escaped message shown as text.
  std::string page;
  for (auto deadline = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(100ms)) {  // a retry until the page shows the run, not a synchronisation
    page = httpGet(peerdPort, "/", "text/html");
    if (page.find("\\x1b[31m") != std::string::npos) break;
  }
  EXPECT_TRUE(validUtf8(page));
  EXPECT_THAT(page, HasSubstr("CRITICAL \\x1b[31m" + kBad + kBad + " bad\\x01\\x7f\\x9b"));
  std::string metrics = httpGet(peerdPort, "/metrics", "text/plain");
  EXPECT_THAT(metrics, HasSubstr("checker_"));
  EXPECT_TRUE(validUtf8(metrics));
}

}  // namespace
}  // namespace checker
