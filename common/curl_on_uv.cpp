#include "common/curl_on_uv.h"

#include <utility>

namespace checker {
// One socket curl asked us to watch.
struct CurlOnUv::Watch {
  uv_poll_t poll;
  curl_socket_t fd;
  CurlOnUv* owner;
};

CurlOnUv::CurlOnUv(uv_loop_t* loop, long maxConnectionsPerHost) : loop_(loop), multi_(curl_multi_init()) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlOnUv::onSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlOnUv::onTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  if (maxConnectionsPerHost > 0) curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost);
}

CurlOnUv::~CurlOnUv() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

void CurlOnUv::add(CURL* easy, Done done) {
  done_[easy] = std::move(done);
  curl_multi_add_handle(multi_, easy);  // its timer callback kicks the transfer off
}

void CurlOnUv::close() {
  if (closed_) return;
  closed_ = true;
  // Each owner hears of its transfer's end (aborted), so it can free what
  // it gave the transfer.
  auto abandoned = std::move(done_);
  done_.clear();
  for (auto& [easy, done] : abandoned) {
    curl_multi_remove_handle(multi_, easy);  // stops its watches via onSocket
    done(easy, CURLE_ABORTED_BY_CALLBACK);
  }
  // Cached connections are closed here too, while the loop can still
  // close their watches.
  CURLM* multi = std::exchange(multi_, nullptr);
  curl_multi_cleanup(multi);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

int CurlOnUv::onSocket(CURL*, curl_socket_t fd, int what, void* self, void* watchPtr) {
  auto* owner = static_cast<CurlOnUv*>(self);
  auto* watch = static_cast<Watch*>(watchPtr);
  if (what == CURL_POLL_REMOVE) {
    if (watch != nullptr) {
      if (owner->multi_ != nullptr) curl_multi_assign(owner->multi_, fd, nullptr);
      // Stopped now, before curl closes the socket; freed once libuv is done.
      uv_poll_stop(&watch->poll);
      uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll),
               [](uv_handle_t* h) { delete static_cast<Watch*>(h->data); });
    }
    return 0;
  }
  if (watch == nullptr) {
    watch = new Watch{{}, fd, owner};
    uv_poll_init_socket(owner->loop_, &watch->poll, fd);
    watch->poll.data = watch;
    curl_multi_assign(owner->multi_, fd, watch);
  }
  int events = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
  uv_poll_start(&watch->poll, events, [](uv_poll_t* p, int status, int ready) {
    auto* w = static_cast<Watch*>(p->data);
    int flags = status < 0 ? CURL_CSELECT_ERR
                           : ((ready & UV_READABLE) ? CURL_CSELECT_IN : 0) | ((ready & UV_WRITABLE) ? CURL_CSELECT_OUT : 0);
    w->owner->act(w->fd, flags);
  });
  return 0;
}

int CurlOnUv::onTimer(CURLM*, long timeoutMs, void* self) {
  auto* owner = static_cast<CurlOnUv*>(self);
  if (owner->closed_) return 0;
  if (timeoutMs < 0) {
    uv_timer_stop(&owner->timer_);
    return 0;
  }
  // Never act from inside curl's own callback: a zero timeout runs on the
  // next loop turn.
  uv_timer_start(&owner->timer_, [](uv_timer_t* t) {
    static_cast<CurlOnUv*>(t->data)->act(CURL_SOCKET_TIMEOUT, 0);
  }, static_cast<uint64_t>(timeoutMs), 0);
  return 0;
}

void CurlOnUv::act(curl_socket_t fd, int events) {
  if (multi_ == nullptr) return;  // closed
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  collectFinished();
}

void CurlOnUv::collectFinished() {
  int left = 0;
  // A callback may close() this (the last transfer's owner is done): stop then.
  while (CURLMsg* message = multi_ != nullptr ? curl_multi_info_read(multi_, &left) : nullptr) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    CURLcode result = message->data.result;
    curl_multi_remove_handle(multi_, easy);
    auto found = done_.find(easy);
    if (found == done_.end()) continue;
    Done done = std::move(found->second);
    done_.erase(found);
    done(easy, result);  // may add new transfers: done_ is not iterated here
  }
}

const char* curlStepOf(int curlCode, const char* commandStep) {
  switch (curlCode) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return "connect";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return "tls";
    case CURLE_LOGIN_DENIED:
      return "auth";
    default:
      return commandStep;
  }
}

}  // namespace checker
