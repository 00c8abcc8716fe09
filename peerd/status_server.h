#pragma once
// peerd's HTTP/1.x server on the libuv loop: requests read by
// RequestParser (peerd/request_parser.h: http-parser, the header bound, the
// versions, bodies and keep-alive), answered by a callback, with the bounds
// a server on the open internet needs (ServerLimits):
//   - at most maxConnections open; at the bound the longest-idle connection
//     (one not in the middle of a request) makes room for the newcomer, so
//     a flood of idle connections cannot lock a well-behaved peer out;
//   - a request's line and headers at most maxHeaderBytes (431 beyond);
//   - a request must be whole within requestTimeoutMs of its connection or
//     its first byte (a client sending one byte a second is cut off), and a
//     keep-alive connection idle for idleTimeoutMs is closed;
//   - bodies are not read (GET has none): a request with one gets 413;
//   - anything the parser refuses gets 400 and the connection is closed.
// A refused request gets its refusal only, never an answer too. After an
// answer that says "Connection: close" nothing more is read.
// Each request handed to the callback carries the client's address
// (HttpRequest::clientAddress), read from the socket when it was accepted.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "peerd/http_response.h"
#include "peerd/request_parser.h"

namespace checker::peerd {

// The server's bounds (defaults for production; tests shorten them).
struct ServerLimits {
  size_t maxConnections = 1024;
  size_t maxHeaderBytes = 8 * 1024;
  uint64_t requestTimeoutMs = 10'000;
  uint64_t idleTimeoutMs = 30'000;
};

class StatusServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  StatusServer(uv_loop_t* loop, Handler handler, ServerLimits limits = {});
  // Binds HOST:PORT and listens. False with *error ("bind(0.0.0.0:5000):
  // address in use") when it cannot. *bound gets "host:port" as bound.
  bool listen(const std::string& host, uint16_t port, std::string* bound, std::string* error);
  // Stops accepting and closes every connection.
  void close();

  size_t openConnections() const { return connections_; }

 private:
  struct Connection;
  void onConnection();
  void forget(Connection* c);  // its handles are closed
  friend struct Connection;

  void makeRoom();
  void link(Connection* c);  // as the most recently active
  void unlink(Connection* c);
  void markActive(Connection* c);  // bytes came in

  uv_loop_t* loop_;
  Handler handler_;
  ServerLimits limits_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  size_t connections_ = 0;  // with those still closing
  size_t live_ = 0;         // not closing: what the bound counts
  Connection* first_ = nullptr;  // every open connection, most recently active first
  Connection* last_ = nullptr;   // the longest idle
};

}  // namespace checker::peerd
