// The mail fixture's environment and an IMAP reader for tests (libcurl).
#include "support/mail_fixture.h"

#include <curl/curl.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef CHECKER_MAIL_FIXTURE_DIR
#error "CHECKER_MAIL_FIXTURE_DIR must name the fixture's directory"
#endif
#ifndef CHECKER_MAIL_SERVERS_SCRIPT
#error "CHECKER_MAIL_SERVERS_SCRIPT must name tests/mail/mail_servers.sh"
#endif

namespace checker::test {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(50);

void curlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t appendTo(char* data, size_t size, size_t count, void* userp) {
  static_cast<std::string*>(userp)->append(data, size * count);
  return size * count;
}

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

// An IMAPS session on one user's INBOX. libcurl keeps the connection, logged
// in with INBOX selected, between the requests made with one handle.
class ImapSession {
 public:
  ImapSession(const MailFixture& fixture, int n)
      : who_(fixture.user(n)),
        inbox_("imaps://" + fixture.host + ":" + std::to_string(fixture.imapsPort) + "/INBOX") {
    curlGlobalInit();
    curl_.reset(curl_easy_init());
    if (!curl_) throw std::runtime_error("curl_easy_init failed");
    CURL* c = curl_.get();
    curl_easy_setopt(c, CURLOPT_USERNAME, fixture.user(n).c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, fixture.password(n).c_str());
    curl_easy_setopt(c, CURLOPT_CAINFO, fixture.caFile.c_str());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, appendTo);
  }

  // UIDs of the messages in INBOX, ascending. The NOOP first makes the
  // server look again for mail delivered since the last request.
  std::vector<unsigned long> uids() {
    perform(inbox_, "NOOP");
    std::vector<unsigned long> result;
    std::istringstream lines(perform(inbox_, "UID SEARCH ALL"));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("* SEARCH", 0) != 0) continue;
      std::istringstream numbers(line.substr(8));
      unsigned long uid;
      while (numbers >> uid) result.push_back(uid);
    }
    std::set<unsigned long> sorted(result.begin(), result.end());
    return {sorted.begin(), sorted.end()};
  }

  std::string fetch(unsigned long uid) { return perform(inbox_ + "/;UID=" + std::to_string(uid), nullptr); }

  void command(const std::string& imapCommand) { perform(inbox_, imapCommand.c_str()); }

 private:
  std::string perform(const std::string& url, const char* customRequest) {
    CURL* c = curl_.get();
    std::string body;
    error_[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, customRequest);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      throw std::runtime_error("IMAP " + (customRequest ? std::string(customRequest) : "FETCH " + url) +
                               " as " + who_ + ": " + curl_easy_strerror(rc) +
                               (error_[0] ? std::string(" (") + error_ + ")" : std::string()));
    }
    return body;
  }

  std::string who_;
  std::string inbox_;
  std::unique_ptr<CURL, CurlCleanup> curl_;
  char error_[CURL_ERROR_SIZE] = {};
};

bool startsWithNoCase(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// The Subject header of RAW, unfolded (continuation lines joined).
std::string subjectOf(const std::string& raw) {
  std::istringstream in(raw);
  std::string line;
  std::string subject;
  bool inSubject = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // end of the header section
    if (line[0] == ' ' || line[0] == '\t') {
      if (inSubject) subject += line;
      continue;
    }
    if (inSubject) break;
    if (startsWithNoCase(line, "subject:")) {
      inSubject = true;
      subject = line.substr(8);
    }
  }
  size_t first = subject.find_first_not_of(" \t");
  return first == std::string::npos ? std::string() : subject.substr(first);
}

MailMessage messageOf(unsigned long uid, std::string raw) {
  MailMessage m;
  m.uid = uid;
  m.subject = subjectOf(raw);
  m.raw = std::move(raw);
  return m;
}

int toInt(const std::map<std::string, std::string>& env, const std::string& key, const std::string& file) {
  auto it = env.find(key);
  if (it == env.end()) throw std::runtime_error(file + ": no " + key);
  try {
    return std::stoi(it->second);
  } catch (const std::exception&) {
    throw std::runtime_error(file + ": " + key + " is not a number: " + it->second);
  }
}

void runScript(const std::string& subcommand, const std::string& dir) {
  std::string commandLine = std::string("/bin/bash '") + CHECKER_MAIL_SERVERS_SCRIPT + "' " + subcommand + " '" + dir + "'";
  int status = std::system(commandLine.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("failed: " + commandLine);
  }
}

}  // namespace

MailFixture MailFixture::load() {
  const char* dir = std::getenv("CHECKER_MAIL_FIXTURE_DIR");
  return load(dir && *dir ? dir : CHECKER_MAIL_FIXTURE_DIR);
}

MailFixture MailFixture::load(const std::string& fixtureDir) {
  const std::string file = fixtureDir + "/env";
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("the mail servers are not running (no " + file +
                             "): run this test through ctest (the fixture \"mail\" starts them), or start them with "
                             "tests/mail/mail_servers.sh start " + fixtureDir);
  }
  std::map<std::string, std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  MailFixture f;
  f.dir = fixtureDir;
  f.host = env.count("HOST") ? env["HOST"] : "localhost";
  f.smtpPort = toInt(env, "SMTP_PORT", file);
  f.submissionPort = toInt(env, "SUBMISSION_PORT", file);
  f.smtpsPort = toInt(env, "SMTPS_PORT", file);
  f.imapPort = toInt(env, "IMAP_PORT", file);
  f.imapsPort = toInt(env, "IMAPS_PORT", file);
  f.users = toInt(env, "USERS", file);
  f.caFile = env["CA_FILE"];
  f.rejectAddress = env["REJECT_ADDRESS"];
  if (f.caFile.empty()) throw std::runtime_error(file + ": no CA_FILE");
  return f;
}

std::string MailFixture::user(int n) const {
  if (n < 1 || n > users) throw std::out_of_range("no mailbox user " + std::to_string(n));
  return "u" + std::to_string(n);
}

std::string MailFixture::password(int n) const { return "pw-" + user(n); }

std::string MailFixture::address(int n) const { return user(n) + "@" + host; }

std::vector<MailMessage> MailFixture::fetchAll(int n) const {
  ImapSession session(*this, n);
  std::vector<MailMessage> messages;
  for (unsigned long uid : session.uids()) messages.push_back(messageOf(uid, session.fetch(uid)));
  return messages;
}

size_t MailFixture::countMessages(int n, const std::string& subjectSubstring) const {
  size_t count = 0;
  for (const MailMessage& m : fetchAll(n)) count += m.subject.find(subjectSubstring) != std::string::npos ? 1 : 0;
  return count;
}

bool MailFixture::waitForMessage(int n, const std::string& subjectSubstring, std::chrono::milliseconds timeout,
                                 Message* out) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ImapSession session(*this, n);
  std::set<unsigned long> seen;  // fetched already, subject did not match
  for (;;) {
    for (unsigned long uid : session.uids()) {
      if (!seen.insert(uid).second) continue;
      MailMessage m = messageOf(uid, session.fetch(uid));
      if (m.subject.find(subjectSubstring) != std::string::npos) {
        if (out) *out = std::move(m);
        return true;
      }
    }
    if (std::chrono::steady_clock::now() + kPollInterval > deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void MailFixture::clearMailbox(int n) const {
  ImapSession session(*this, n);
  if (session.uids().empty()) return;
  session.command("UID STORE 1:* +FLAGS.SILENT (\\Deleted)");
  session.command("EXPUNGE");
}

void MailFixture::createFolder(int n, const std::string& folder) const {
  ImapSession session(*this, n);
  try {
    session.command("CREATE \"" + folder + "\"");
  } catch (const std::runtime_error&) {
    // Already there (a rerun): fine; a real failure shows when it is used.
  }
}

void MailFixture::smtpDown() const { runScript("smtp-down", dir); }

void MailFixture::smtpUp() const { runScript("smtp-up", dir); }

std::string MailFixture::serverLogs(int lines) const {
  std::string result;
  for (const char* name : {"smtpd.log", "dovecot.log"}) {
    std::ifstream in(dir + "/" + name);
    std::vector<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
      tail.push_back(line);
      if (tail.size() > static_cast<size_t>(lines)) tail.erase(tail.begin());
    }
    result += std::string("--- ") + dir + "/" + name + "\n";
    for (const auto& l : tail) result += l + "\n";
  }
  return result;
}

}  // namespace checker::test
