#pragma once
// libcurl's multi interface driven by a libuv loop: no thread per transfer,
// no blocking call on the loop. curl says which sockets to watch and when
// its next timeout is; a uv_poll per socket and one uv_timer tell it back
// (curl_multi_socket_action). A finished transfer is handed to the callback
// it was added with.
#include <curl/curl.h>
#include <uv.h>

#include <functional>
#include <unordered_map>

namespace checker {

class CurlOnUv {
 public:
  using Done = std::function<void(CURL* easy, CURLcode result)>;

  // MAX_CONNECTIONS_PER_HOST > 0: transfers beyond it wait inside libcurl.
  explicit CurlOnUv(uv_loop_t* loop, long maxConnectionsPerHost = 0);
  ~CurlOnUv();  // after close() and a loop run that closed its handles
  CurlOnUv(const CurlOnUv&) = delete;
  CurlOnUv& operator=(const CurlOnUv&) = delete;

  // Starts EASY (owned by the caller, who cleans it up after DONE). DONE is
  // called exactly once: from the loop, or from close() with
  // CURLE_ABORTED_BY_CALLBACK.
  void add(CURL* easy, Done done);
  size_t active() const { return done_.size(); }
  // Aborts every transfer and closes the loop handles.
  void close();

 private:
  struct Watch;
  static int onSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* watch);
  static int onTimer(CURLM* multi, long timeoutMs, void* self);
  void act(curl_socket_t fd, int events);
  void collectFinished();

  uv_loop_t* loop_;
  CURLM* multi_;
  uv_timer_t timer_{};
  bool closed_ = false;
  std::unordered_map<CURL*, Done> done_;
};

// Which step of a transfer a libcurl result code says broke: "connect",
// "tls" or "auth"; COMMAND_STEP for anything else (the command itself).
const char* curlStepOf(int curlCode, const char* commandStep);

}  // namespace checker
