#pragma once
// The IMAP side of the email self-check, with libcurl on the loop: find the
// messages of one mailbox whose subject holds a token, and delete them.
// Each call is one IMAP command over libcurl's IMAP support (connection
// reuse is libcurl's), answered on the loop with what broke, named by step:
// "connect", "tls", "auth", or "search"/"delete" for the command itself.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "common/curl_on_uv.h"

namespace checker::mailer {

struct ImapSettings {
  std::string host;
  uint16_t port = 993;
  TlsMode tls = TlsMode::tls;
  std::string user, password;
  std::string caFile;
  std::chrono::milliseconds timeout{30'000};
};

ImapSettings imapSettingsFrom(const Config& config);

struct ImapFailure {
  std::string step;     // connect, tls, auth, search, delete ("" when it worked)
  std::string message;  // one line
};

class ImapClient {
 public:
  using Found = std::function<void(const ImapFailure&, std::vector<std::string> uids)>;
  using Done = std::function<void(const ImapFailure&)>;

  ImapClient(CurlOnUv& curl, ImapSettings settings) : curl_(curl), settings_(std::move(settings)) {}

  // UIDs of the messages in MAILBOX whose Subject contains TOKEN.
  void search(const std::string& mailbox, const std::string& token, Found found);
  // Marks UIDS deleted in MAILBOX and expunges them.
  void remove(const std::string& mailbox, const std::vector<std::string>& uids, Done done);

 private:
  void command(const std::string& mailbox, const std::string& request, const std::string& step,
               std::function<void(const ImapFailure&, const std::string& response)> done);

  CurlOnUv& curl_;
  ImapSettings settings_;
};

// The UIDs of an untagged "* SEARCH 1 2 3" response (pure; tested).
std::vector<std::string> parseSearchResponse(const std::string& response);

}  // namespace checker::mailer
