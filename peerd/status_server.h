#pragma once
// peerd's HTTP/1.x server on the libuv loop: requests read by
// RequestParser (peerd/request_parser.h: http-parser, the header bound, the
// versions, bodies and keep-alive), answered by a callback, with the bounds
// a server on the open internet needs (ServerLimits), so that neither idle
// nor slow clients (half a request, a byte now and then) can lock a peer out:
//   - at most maxConnections open, and at most maxConnectionsPerClient from
//     one client (an IPv4 address, an IPv6 /64; loopback is not held to it
//     unless capLoopback). The newcomer is always taken; at a bound one
//     connection makes room (peerd/connection_table.h): of the client
//     holding the most, the oldest that has not delivered a whole request,
//     else the longest idle;
//   - a request's line and headers at most maxHeaderBytes (431 beyond);
//   - the first request must be whole within requestTimeoutMs of the
//     accept (a connection that sends nothing is closed then too), a later
//     one within requestTimeoutMs of its first byte (408 for a partial one);
//     a keep-alive connection idle for idleTimeoutMs after an answer is closed;
//   - bodies are not read (GET has none): a request with one gets 413;
//   - anything the parser refuses gets 400 and the connection is closed.
// A refused request gets its refusal only, never an answer too. After an
// answer that says "Connection: close" nothing more is read.
// Each request handed to the callback carries the client's address
// (HttpRequest::clientAddress), read from the socket when it was accepted.
// A request may be answered later (setDeferrer: a confirm question waiting
// for a run): the connection then reads nothing more, the answer closes it,
// and one not given within deferredTimeoutMs closes it unanswered.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "peerd/connection_table.h"
#include "peerd/http_response.h"
#include "peerd/request_parser.h"

namespace checker::peerd {

// The server's bounds (defaults for production; tests shorten them).
struct ServerLimits {
  size_t maxConnections = 1024;
  // A peer needs one; a browser a handful; a NAT of a few dozen hosts fits.
  size_t maxConnectionsPerClient = 32;
  // Loopback is this host (a reverse proxy in front of peerd, the
  // benchmarks): held to the per-client bound only when set (tests).
  bool capLoopback = false;
  size_t maxHeaderBytes = 8 * 1024;
  // A request is one small packet: seconds are plenty on any link.
  uint64_t requestTimeoutMs = 5'000;
  uint64_t idleTimeoutMs = 30'000;
  // A request answered later gets its answer within this, or the connection
  // is closed (the deferrer's own deadline is shorter: a backstop).
  uint64_t deferredTimeoutMs = 60'000;
};

class StatusServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // The answer to a deferred request; call it once. Does nothing when the
  // connection has gone meanwhile (closed by the client, the server or the
  // backstop).
  using Later = std::function<void(HttpResponse)>;
  // Takes REQUEST to answer through LATER (true), or leaves it to the
  // handler (false). Asked before the handler, for every request.
  using Deferrer = std::function<bool(const HttpRequest&, Later)>;

  StatusServer(uv_loop_t* loop, Handler handler, ServerLimits limits = {});
  // Binds HOST:PORT and listens; "host:port" as bound, or an Error
  // ("bind(0.0.0.0:5000): address in use") when it cannot.
  Result<std::string> listen(const std::string& host, uint16_t port);
  // Stops accepting and closes every connection.
  void close();
  void setDeferrer(Deferrer deferrer) { deferrer_ = std::move(deferrer); }

  // Open connections, with those still closing.
  size_t openConnections() const { return connections_; }

 private:
  struct Connection;
  void onConnection();
  void onTurn();
  void closeListener();
  void forget(Connection* c);  // its handles are closed
  friend struct Connection;

  uv_loop_t* loop_;
  Handler handler_;
  Deferrer deferrer_;
  ServerLimits limits_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  bool listenerLive_ = false;  // from uv_tcp_init to its close callback
  uv_prepare_t turn_{};  // counts accepts per turn of the loop
  int acceptedThisTurn_ = 0;
  bool acceptPending_ = false;  // libuv holds one until we accept it
  size_t connections_ = 0;  // with those still closing
  ConnectionTable table_;   // those not closing: what the bounds count
};

}  // namespace checker::peerd
