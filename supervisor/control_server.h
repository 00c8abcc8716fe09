#pragma once
// checkerd's control socket: a Unix stream socket in the state directory
// (STATEDIR/control.sock, mode 0600: root, or the service's user, only) on
// which `checker reload` and later commands send one framed ControlRequest
// (ipc/control.capnp) and get one ControlReply. A client that sends garbage,
// too much, or nothing within a few seconds is disconnected; the loop never
// waits on a client.
#include <uv.h>

#include <functional>
#include <string>

#include "ipc/control.capnp.h"
#include "ipc/framing.h"

namespace checker {

struct ControlAnswer {
  bool ok = false;
  std::string message;
};

class ControlServer {
 public:
  using Handler = std::function<ControlAnswer(ipc::ControlRequest::Reader)>;

  ControlServer(uv_loop_t* loop, Handler handler);
  // Binds PATH (a stale socket file there is replaced). False with *error.
  bool listen(const std::string& path, std::string* error);
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
};

// The control socket of the state directory STATE_DIR.
std::string controlSocketPath(const std::string& stateDir);

}  // namespace checker
