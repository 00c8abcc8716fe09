// http: one GET with libcurl (the original's HTTPServerChecker), checking
// the status and, optionally, that the body contains a string.
//
// Fixed choices: only http and https, also for redirects, and redirects
// are not followed (a 301 is a wrong status, reported with its Location);
// TLS peer and host name are always verified (against `cafile` when given,
// else the system's CAs); no proxy, whatever the environment says; the
// whole transfer is bounded by the run's deadline. At most 1 MiB of the
// body is kept: the transfer stops there and the substring is searched in
// that first MiB.
#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>

#include "jobs/builtin_jobs.h"

namespace checker {
namespace {

constexpr size_t kMaxBody = 1 << 20;
constexpr size_t kBodyInDetails = 2048;

struct Body {
  std::string data;
  bool truncated = false;
};

size_t onData(char* ptr, size_t size, size_t count, void* userdata) {
  auto* body = static_cast<Body*>(userdata);
  size_t length = size * count;
  size_t room = kMaxBody - body->data.size();
  if (length > room) {
    body->data.append(ptr, room);
    body->truncated = true;
    return 0;  // stops the transfer with CURLE_WRITE_ERROR; we know why
  }
  body->data.append(ptr, length);
  return length;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

class HttpJob : public BuiltinJob {
 public:
  using BuiltinJob::BuiltinJob;

  bool execute() override {
    const std::string* url = required("url");
    uint64_t expectStatus = 0;
    if (url == nullptr || !number("expect_status", 100, 599, expectStatus)) return false;
    url_ = *url;
    std::chrono::milliseconds left = timeLeft();
    if (left.count() == 0) return fail(url_ + ": the run's deadline passed before the request");

    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return fail(url_ + ": curl_easy_init failed");
    char errorText[CURL_ERROR_SIZE] = "";
    Body body;
    if (!configure(curl.get(), left, errorText, body)) return false;

    auto start = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(curl.get());
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && body.truncated)) {
      std::string message = url_ + ": " + curl_easy_strerror(rc);
      if (errorText[0] != '\0') message += std::string(" (") + errorText + ")";
      return fail(message);
    }
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    return judge(curl.get(), status, static_cast<long>(expectStatus), body, took);
  }

 private:
  bool configure(CURL* curl, std::chrono::milliseconds left, char* errorText, Body& body) {
    const std::string* caFile = param("cafile");
    bool ok = curl_easy_setopt(curl, CURLOPT_URL, url_.c_str()) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count())) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
              (caFile == nullptr || curl_easy_setopt(curl, CURLOPT_CAINFO, caFile->c_str()) == CURLE_OK) &&
              curl_easy_setopt(curl, CURLOPT_PROXY, "") == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_USERAGENT, "checker/" CHECKER_VERSION) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorText) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onData) == CURLE_OK &&
              curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body) == CURLE_OK;
    return ok || fail(url_ + ": libcurl refused an option (is it older than 7.85?)");
  }

  bool judge(CURL* curl, long status, long expectStatus, const Body& body, std::chrono::milliseconds took) {
    std::string details;
    if (body.truncated) details = "body larger than 1 MiB, searched the first 1 MiB\n";
    details += "status " + std::to_string(status) + ", body (first " + std::to_string(kBodyInDetails) + " bytes):\n" +
               body.data.substr(0, kBodyInDetails);
    if (status != expectStatus) {
      std::string message = url_ + " answered " + std::to_string(status) + ", expected " + std::to_string(expectStatus);
      char* location = nullptr;
      if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
        message += " (redirects to " + std::string(location) + ")";
      }
      return fail(message, details);
    }
    const std::string* expectBody = param("expect_body");
    if (expectBody != nullptr && body.data.find(*expectBody) == std::string::npos) {
      return fail(url_ + ": body does not contain '" + *expectBody + "'", details);
    }
    return succeed(url_ + " answered " + std::to_string(status) + " in " + std::to_string(took.count()) + " ms",
                   body.truncated ? "body larger than 1 MiB, searched the first 1 MiB" : "");
  }

  std::string url_;
};

}  // namespace

std::unique_ptr<JobBase> makeHttpJob(JobParams params, JobRunContext context) {
  return std::make_unique<HttpJob>(std::move(params), std::move(context));
}

}  // namespace checker
