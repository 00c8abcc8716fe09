#pragma once
// checkerd's control socket: a Unix stream socket in the state directory
// (STATEDIR/control.sock, mode 0600: root, or the service's user, only) on
// which `checker reload` and later commands send one framed ControlRequest
// (ipc/control.capnp) and get one ControlReply. A client that sends garbage,
// too much, or no whole request within a few seconds is disconnected; the
// loop never waits on a client. The answer may come later (a reload reads
// the config off the loop): the handler is given a way to respond.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "ipc/control.capnp.h"
#include "ipc/control_socket.h"
#include "ipc/framing.h"

namespace checker {

struct ControlAnswer {
  bool ok = false;
  std::string message;
};

// Who sent a request, as the kernel says (SO_PEERCRED).
struct ControlPeer {
  int64_t uid = -1;  // -1: unknown
  int64_t pid = -1;
};

class ControlServer {
 public:
  // Answers the request once, now or later from the loop; a client gone by
  // then (or a server closed) is skipped.
  using Respond = std::function<void(const ControlAnswer&)>;
  using Handler = std::function<void(ipc::ControlRequest::Reader, const ControlPeer&, Respond)>;

  ControlServer(uv_loop_t* loop, Handler handler);
  // Binds PATH (a stale socket file there is replaced), or an Error
  // naming the socket.
  Result<> listen(const std::string& path);
  // Stops listening, closes every client and removes the socket file.
  void close();

 private:
  struct Client;
  void onConnection();

  uv_loop_t* loop_;
  Handler handler_;
  uv_pipe_t listener_{};
  std::string path_;
  bool listening_ = false;
  Client* clients_ = nullptr;  // open clients, to close them at stop
  uint64_t nextClientId_ = 1;  // a late answer finds its client by id
};

}  // namespace checker
