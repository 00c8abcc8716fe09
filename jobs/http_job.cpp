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

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "jobs/builtin_jobs.h"
#include "jobs/net_connect.h"

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
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};

// One transfer driven through a multi handle, waiting in waitFds
// (jobs/net_connect.h) so that a probe worker can run many at once; in a
// run's worker it waits in poll(2) as curl_easy_perform would.
class Transfer {
 public:
  explicit Transfer(CURL* curl) : curl_(curl) {}

  CURLcode perform(std::chrono::steady_clock::time_point deadline) {
    std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
    if (!multi) return CURLE_OUT_OF_MEMORY;
    curl_multi_setopt(multi.get(), CURLMOPT_SOCKETFUNCTION, onSocket);
    curl_multi_setopt(multi.get(), CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi.get(), CURLMOPT_TIMERFUNCTION, onTimer);
    curl_multi_setopt(multi.get(), CURLMOPT_TIMERDATA, this);
    if (curl_multi_add_handle(multi.get(), curl_) != CURLM_OK) return CURLE_FAILED_INIT;
    int running = 1;
    curl_multi_socket_action(multi.get(), CURL_SOCKET_TIMEOUT, 0, &running);
    while (running > 0) {
      auto wake = deadline;
      if (timerMs_ >= 0) wake = std::min(wake, std::chrono::steady_clock::now() + std::chrono::milliseconds(timerMs_));
      std::vector<pollfd> fds = fds_;
      Result<int> ready = waitFds(fds.data(), fds.size(), wake);
      if (!ready) return CURLE_RECV_ERROR;
      if (*ready == 0) {
        // curl's own timer, or the run's deadline (CURLOPT_TIMEOUT_MS ends
        // the transfer there with CURLE_OPERATION_TIMEDOUT).
        curl_multi_socket_action(multi.get(), CURL_SOCKET_TIMEOUT, 0, &running);
        continue;
      }
      for (const pollfd& p : fds) {
        if (p.revents == 0) continue;
        int mask = ((p.revents & POLLIN) ? CURL_CSELECT_IN : 0) | ((p.revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi.get(), p.fd, mask, &running);
      }
    }
    CURLcode result = CURLE_FAILED_INIT;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
      if (message->msg == CURLMSG_DONE) result = message->data.result;
    }
    curl_multi_remove_handle(multi.get(), curl_);
    return result;
  }

 private:
  static int onSocket(CURL*, curl_socket_t fd, int what, void* self, void*) {
    auto& fds = static_cast<Transfer*>(self)->fds_;
    auto found = std::find_if(fds.begin(), fds.end(), [fd](const pollfd& p) { return p.fd == fd; });
    if (what == CURL_POLL_REMOVE) {
      if (found != fds.end()) fds.erase(found);
      return 0;
    }
    short events = static_cast<short>(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    if (found != fds.end()) found->events = events;
    else fds.push_back({fd, events, 0});
    return 0;
  }
  static int onTimer(CURLM*, long timeoutMs, void* self) {
    static_cast<Transfer*>(self)->timerMs_ = timeoutMs;
    return 0;
  }

  CURL* curl_;
  std::vector<pollfd> fds_;
  long timerMs_ = -1;  // curl's next timeout; -1: none
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
    CURLcode rc = Transfer(curl.get()).perform(context().deadline);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && body.truncated)) {
      std::string message = url_ + ": " + curl_easy_strerror(rc);
      if (errorText[0] != '\0') message += std::string(" (") + errorText + ")";
      return fail(message);
    }
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    reportTimings(curl.get());
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

  // The server answered: how long each step took, from libcurl's own
  // clocks (each counts from the transfer's start). The response time is
  // the whole answer's; a plain-HTTP URL has no TLS handshake.
  void reportTimings(CURL* curl) {
    auto at = [curl](CURLINFO info) {
      curl_off_t micros = 0;
      return std::chrono::microseconds(curl_easy_getinfo(curl, info, &micros) == CURLE_OK && micros > 0 ? micros : 0);
    };
    std::chrono::microseconds lookedUp = at(CURLINFO_NAMELOOKUP_TIME_T), connected = at(CURLINFO_CONNECT_TIME_T),
                              secured = at(CURLINFO_APPCONNECT_TIME_T), firstByte = at(CURLINFO_STARTTRANSFER_TIME_T),
                              total = at(CURLINFO_TOTAL_TIME_T);
    reportLatency(total);
    reportMeasurement(milliseconds("resolve", lookedUp));
    reportMeasurement(milliseconds("connect", std::max(connected - lookedUp, std::chrono::microseconds(0))));
    if (secured.count() > 0) {
      reportMeasurement(milliseconds("tls_handshake", std::max(secured - connected, std::chrono::microseconds(0))));
    }
    reportMeasurement(milliseconds("first_byte", firstByte));
    reportMeasurement(milliseconds("total", total));
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
