#include "peerd/status_server.h"

#include "process/owned_write.h"

namespace checker::peerd {
namespace {

// A client that does not read its answers stops being served past this.
constexpr size_t kMaxQueuedResponseBytes = 1 << 20;
// Connections accepted per turn of the loop: a burst of connects (a flood
// that reconnects as fast as it is closed) cannot hold back the reading and
// answering of those accepted already; the rest wait in the backlog.
constexpr int kAcceptsPerTurn = 32;

void allocate(uv_handle_t*, size_t, uv_buf_t* buf) {
  static char buffer[64 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

// The numeric address of sockaddr ADDRESS ("127.0.0.1", "::1"); "" for
// another family.
std::string addressText(const sockaddr_storage& address) {
  char name[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&address), name, sizeof name);
  } else if (address.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&address), name, sizeof name);
  }
  return name;
}

}  // namespace

struct StatusServer::Connection {
  explicit Connection(StatusServer* s) : server(s), parser(s->limits_.maxHeaderBytes) { entry.owner = this; }

  uv_tcp_t tcp{};
  uv_timer_t timer{};
  StatusServer* server;
  RequestParser parser;
  std::string client;  // its address, given to each request
  ConnectionTable::Entry entry;
  bool inTable = false;
  bool delivered = false;  // a whole request came in
  bool inRequest = false;
  bool closing = false;
  bool closeAfterWrite = false;
  bool deferred = false;  // a request waits for its answer: nothing more is read
  int openHandles = 2;
  // Held by a deferred answer: null once the connection is closing.
  std::shared_ptr<Connection*> alive = std::make_shared<Connection*>(this);

  // The first request's deadline runs from the accept; a later one's from
  // its first byte, a keep-alive answer arms the idle timeout; a refusal is
  // answered and the connection closed.
  void onBytes(const char* data, size_t n) {
    if (closing || closeAfterWrite || deferred) return;
    for (RequestEvent& event : parser.feed(data, n)) {
      if (closing || deferred) return;  // it stopped reading its answers; or one waits
      switch (event.kind) {
        case RequestEvent::Kind::kStarted:
          inRequest = true;
          if (delivered) armTimer(server->limits_.requestTimeoutMs);  // the first one's runs since the accept
          break;
        case RequestEvent::Kind::kRequest:
          inRequest = false;
          if (!delivered) server->table_.delivered(&entry);
          delivered = true;
          event.request.clientAddress = client;
          if (server->deferrer_ && defer(event.request)) return;
          write(formatResponse(server->handler_(event.request), event.request, event.keepAlive), !event.keepAlive);
          if (event.keepAlive) armTimer(server->limits_.idleTimeoutMs);
          break;
        case RequestEvent::Kind::kRefused:
          fail(event.status, event.request);
          break;
      }
    }
  }

  // Hands REQUEST to the deferrer; true when it takes it. Its answer
  // closes the connection (whatever was pipelined behind it is dropped).
  bool defer(const HttpRequest& request) {
    std::weak_ptr<Connection*> weak = alive;
    deferred = true;  // before the deferrer, which may answer at once
    bool taken = server->deferrer_(request, [weak, request](HttpResponse response) {
      std::shared_ptr<Connection*> held = weak.lock();
      if (!held || *held == nullptr) return;
      Connection* c = *held;
      if (!c->deferred || c->closing) return;
      c->deferred = false;
      c->write(formatResponse(response, request, false), true);
    });
    if (!taken) {
      deferred = false;
      return false;
    }
    if (deferred) armTimer(server->limits_.deferredTimeoutMs);  // the backstop: closes unanswered
    return true;
  }

  // Answers STATUS with a short body, in the version of ASKED, and closes
  // after it is written.
  void fail(int status, HttpRequest asked = {}) {
    if (closing || closeAfterWrite) return;
    asked.method = "GET";
    HttpResponse response{status, "text/plain; charset=utf-8", std::string(reasonPhrase(status)) + "\n"};
    write(formatResponse(response, asked, false), true);
  }

  void armTimer(uint64_t ms) {
    if (closing) return;
    uv_timer_start(&timer, [](uv_timer_t* t) {
      auto* c = static_cast<Connection*>(t->data);
      if (c->inRequest) {
        c->fail(408);  // slow or stalled mid-request
      } else {
        c->close();
      }
    }, ms, 0);
  }

  void write(std::string bytes, bool thenClose) {
    if (closing) return;
    if (thenClose) closeAfterWrite = true;
    auto* out = reinterpret_cast<uv_stream_t*>(&tcp);
    if (uv_stream_get_write_queue_size(out) > kMaxQueuedResponseBytes) {
      return close();  // it does not read what it asks for
    }
    // An answer almost always fits in the socket's buffer: written now, with
    // no copy, request or callback. (A completed uv_write also costs an
    // epoll_ctl per answer: libuv re-arms the watcher after draining.) What
    // the socket does not take, or all of it while earlier bytes are still
    // queued (UV_EAGAIN), goes through uv_write, in order.
    uv_buf_t now = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
    int written = uv_try_write(out, &now, 1);
    if (written < 0 && written != UV_EAGAIN) return close();
    if (written == static_cast<int>(bytes.size())) {
      if (closeAfterWrite) close();
      return;
    }
    if (written > 0) bytes.erase(0, static_cast<size_t>(written));
    int rc = writeOwned(out, std::move(bytes), [](uv_stream_t* stream, int status) {
      auto* c = static_cast<Connection*>(stream->data);
      if (status < 0 || (c->closeAfterWrite && uv_stream_get_write_queue_size(stream) == 0)) c->close();
    });
    if (rc != 0) close();
  }

  void close() {
    if (closing) return;
    closing = true;
    *alive = nullptr;
    if (inTable) server->table_.remove(&entry);
    inTable = false;
    uv_timer_stop(&timer);
    auto closed = [](uv_handle_t* h) {
      auto* c = static_cast<Connection*>(h->data);
      if (--c->openHandles == 0) c->server->forget(c);
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), closed);
  }
};

StatusServer::StatusServer(uv_loop_t* loop, Handler handler, ServerLimits limits)
    : loop_(loop),
      handler_(std::move(handler)),
      limits_(limits),
      table_(limits.maxConnections, limits.maxConnectionsPerClient) {}

Result<std::string> StatusServer::listen(const std::string& host, uint16_t port) {
  sockaddr_storage address{};
  int rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address));
  std::string where = host + ":" + std::to_string(port);
  if (rc != 0) return Error{"listen address " + where + ": " + uv_strerror(rc)};
  if (listenerLive_) return Error{"listen on " + where + ": the previous listener is still open or closing"};
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  listenerLive_ = true;
  rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 511, [](uv_stream_t* s, int status) {
      auto* self = static_cast<StatusServer*>(s->data);
      if (status != 0) return;
      if (self->acceptedThisTurn_ < kAcceptsPerTurn) return self->onConnection();
      self->acceptPending_ = true;  // not accepted now: libuv stops watching until it is
    });
  }
  if (rc != 0) {
    closeListener();  // its socket too: the next try makes a new one
    return Error{"bind(" + where + "): " + uv_strerror(rc)};
  }
  listening_ = true;
  uv_prepare_init(loop_, &turn_);
  turn_.data = this;
  uv_prepare_start(&turn_, [](uv_prepare_t* p) { static_cast<StatusServer*>(p->data)->onTurn(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(&turn_));
  sockaddr_storage actual{};
  int length = sizeof actual;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&actual), &length);
  int actualPort = actual.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&actual)->sin6_port)
                                                : ntohs(reinterpret_cast<sockaddr_in*>(&actual)->sin_port);
  return addressText(actual) + ":" + std::to_string(actualPort);
}

// The newcomer is always taken: at a bound, the table names the connection
// that makes room for it (peerd/connection_table.h).
void StatusServer::onConnection() {
  ++acceptedThisTurn_;
  auto* c = new Connection(this);
  uv_tcp_init(loop_, &c->tcp);
  uv_timer_init(loop_, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  ++connections_;
  sockaddr_storage peer{};
  int length = sizeof peer;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0 ||
      uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    return c->close();  // gone already
  }
  std::string key = clientKey(peer);
  bool capped = limits_.capLoopback || !isLoopback(peer);
  if (ConnectionTable::Entry* victim = table_.victimFor(key, capped)) {
    static_cast<Connection*>(victim->owner)->close();
  }
  table_.add(&c->entry, key, capped);
  c->inTable = true;
  c->client = addressText(peer);
  uv_tcp_nodelay(&c->tcp, 1);
  c->armTimer(limits_.requestTimeoutMs);  // the whole first request, or nothing, within it
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), allocate, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    auto* conn = static_cast<Connection*>(s->data);
    if (n > 0) {
      if (conn->inTable) conn->server->table_.active(&conn->entry);
      conn->onBytes(b->base, static_cast<size_t>(n));
    }
    if (n < 0) conn->close();
  });
}

// Before the loop polls: a new turn, and the connection left waiting by the last one.
void StatusServer::onTurn() {
  acceptedThisTurn_ = 0;
  if (acceptPending_ && listening_) {
    acceptPending_ = false;
    onConnection();
  }
}

void StatusServer::forget(Connection* c) {
  --connections_;
  delete c;
}

void StatusServer::closeListener() {
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_),
           [](uv_handle_t* h) { static_cast<StatusServer*>(h->data)->listenerLive_ = false; });
}

void StatusServer::close() {
  if (listening_) {
    listening_ = false;
    closeListener();  // and a connection not accepted yet
    uv_close(reinterpret_cast<uv_handle_t*>(&turn_), nullptr);
  }
  while (ConnectionTable::Entry* e = table_.any()) static_cast<Connection*>(e->owner)->close();
}

}  // namespace checker::peerd
