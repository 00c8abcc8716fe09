#include "mailer/imap_client.h"

#include <memory>
#include <sstream>

#include "common/percent_encoding.h"

namespace checker::mailer {
namespace {

struct Call {
  std::string response;
  char error[CURL_ERROR_SIZE] = {};
  std::function<void(const ImapFailure&, const std::string&)> done;
  std::string step;
};

size_t collect(char* data, size_t size, size_t count, void* call) {
  auto* c = static_cast<Call*>(call);
  size_t bytes = size * count;
  if (c->response.size() < 1 << 20) c->response.append(data, bytes);  // a search answer is small
  return bytes;
}

}  // namespace

ImapSettings imapSettingsFrom(const Config& config) {
  ImapSettings imap;
  imap.host = config.email.imapServer;
  imap.port = config.email.imapPort;
  imap.tls = config.email.imapTls;
  imap.user = config.email.user;
  imap.password = config.email.password;
  imap.caFile = config.email.caFile;
  return imap;
}

std::vector<std::string> parseSearchResponse(const std::string& response) {
  std::vector<std::string> uids;
  std::istringstream lines(response);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("* SEARCH", 0) != 0) continue;
    std::istringstream words(line.substr(8));
    for (std::string word; words >> word;) {
      if (word.find_first_not_of("0123456789") == std::string::npos) uids.push_back(word);
    }
  }
  return uids;
}

void ImapClient::search(const std::string& mailbox, const std::string& token, Found found) {
  // The token is hex: nothing in it needs quoting beyond the quotes.
  command(mailbox, "UID SEARCH SUBJECT \"" + token + "\"", "search",
          [found = std::move(found)](const ImapFailure& failure, const std::string& response) {
            found(failure, failure.step.empty() ? parseSearchResponse(response) : std::vector<std::string>{});
          });
}

void ImapClient::remove(const std::string& mailbox, const std::vector<std::string>& uids, Done done) {
  if (uids.empty()) return done({});
  std::string set;
  for (const std::string& uid : uids) set += (set.empty() ? "" : ",") + uid;
  command(mailbox, "UID STORE " + set + " +FLAGS (\\Deleted)", "delete",
          [this, mailbox, done = std::move(done)](const ImapFailure& failure, const std::string&) {
            if (!failure.step.empty()) return done(failure);
            command(mailbox, "EXPUNGE", "delete", [done](const ImapFailure& f, const std::string&) { done(f); });
          });
}

void ImapClient::command(const std::string& mailbox, const std::string& request, const std::string& step,
                         std::function<void(const ImapFailure&, const std::string&)> done) {
  auto call = std::make_unique<Call>();
  call->done = std::move(done);
  call->step = step;
  CURL* easy = curl_easy_init();
  std::string scheme = settings_.tls == TlsMode::tls ? "imaps://" : "imap://";
  std::string url = scheme + settings_.host + ":" + std::to_string(settings_.port) + "/" + percentEncode(mailbox);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  if (settings_.tls == TlsMode::starttls) curl_easy_setopt(easy, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!settings_.caFile.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, settings_.caFile.c_str());
  curl_easy_setopt(easy, CURLOPT_USERNAME, settings_.user.c_str());
  curl_easy_setopt(easy, CURLOPT_PASSWORD, settings_.password.c_str());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, call.get());
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call->error);
  Call* owned = call.release();
  curl_.add(easy, [owned](CURL* handle, CURLcode result) {
    std::unique_ptr<Call> finished(owned);
    curl_easy_cleanup(handle);
    ImapFailure failure;
    if (result != CURLE_OK) {
      failure.step = curlStepOf(result, finished->step.c_str());
      failure.message = finished->error[0] != '\0' ? finished->error : curl_easy_strerror(result);
    }
    finished->done(failure, finished->response);
  });
}

}  // namespace checker::mailer
