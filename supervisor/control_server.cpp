#include "supervisor/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <capnp/message.h>

#include "common/log.h"
#include "process/owned_write.h"

namespace checker {
namespace {

constexpr size_t kMaxRequestBytes = 4096;
constexpr uint64_t kClientDeadlineMs = 5'000;

}  // namespace

struct ControlServer::Client {
  uv_pipe_t pipe{};
  uv_timer_t deadline{};
  ipc::FrameReader reader{kMaxRequestBytes};
  ControlServer* server = nullptr;
  uint64_t id = 0;
  Client* prev = nullptr;
  Client* next = nullptr;
  int openHandles = 2;
  bool closing = false;
  bool answered = false;

  void close() {
    if (closing) return;
    closing = true;
    // Unlinked now, so the server can close while handles finish closing.
    if (prev != nullptr) prev->next = next;
    else if (server->clients_ == this) server->clients_ = next;
    if (next != nullptr) next->prev = prev;
    prev = next = nullptr;
    auto done = [](uv_handle_t* h) {
      auto* c = static_cast<Client*>(h->data);
      if (--c->openHandles == 0) delete c;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline), done);
  }

  void answer(const ControlAnswer& result) {
    if (answered || closing) return;
    answered = true;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe));
    capnp::MallocMessageBuilder builder;
    auto reply = builder.initRoot<ipc::ControlReply>();
    reply.setOk(result.ok);
    reply.setMessage(result.message);
    int rc = writeOwned(reinterpret_cast<uv_stream_t*>(&pipe), ipc::encode(builder), [](uv_stream_t* stream, int) {
      static_cast<Client*>(stream->data)->close();  // one request, one reply
    });
    if (rc != 0) close();
  }

  ControlPeer peer() {
    ControlPeer who;
    uv_os_fd_t fd = -1;
    ucred cred{};
    socklen_t size = sizeof cred;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&pipe), &fd) == 0 &&
        ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) == 0) {
      who.uid = cred.uid;
      who.pid = cred.pid;
    }
    return who;
  }

  void onBytes(const char* data, size_t size) {
    ipc::FrameStatus status = reader.feed(data, size);
    if (status == ipc::FrameStatus::error) {
      CHECKER_LOG_WARN("control socket: bad request: %s", reader.error().c_str());
      return answer({false, "bad request: " + reader.error()});
    }
    if (status != ipc::FrameStatus::ready) return;
    // One request per client: the deadline was for sending it; the answer
    // takes as long as it takes.
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe));
    uv_timer_stop(&deadline);
    std::unique_ptr<ipc::DecodedMessage> message = reader.take();
    ControlServer* owner = server;
    uint64_t clientId = id;
    try {
      // The server outlives the loop run in which the answer can come.
      server->handler_(message->root<ipc::ControlRequest>(), peer(), [owner, clientId](const ControlAnswer& result) {
        for (Client* c = owner->clients_; c != nullptr; c = c->next) {
          if (c->id == clientId) return c->answer(result);
        }
      });
    } catch (const std::exception& e) {
      CHECKER_LOG_WARN("control socket: bad request: %s", e.what());
      answer({false, std::string("bad request: ") + e.what()});
    }
  }
};

ControlServer::ControlServer(uv_loop_t* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}

Result<> ControlServer::listen(const std::string& path) {
  uv_pipe_init(loop_, &listener_, 0);
  listener_.data = this;
  listening_ = true;
  ::unlink(path.c_str());  // a socket left by a checkerd that was killed
  int rc = uv_pipe_bind(&listener_, path.c_str());
  // Only the owner (root, or the service's user) may ask for a reload.
  if (rc == 0 && ::chmod(path.c_str(), 0600) != 0) rc = -errno;
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, [](uv_stream_t* s, int status) {
      if (status == 0) static_cast<ControlServer*>(s->data)->onConnection();
    });
  }
  if (rc != 0) return Error{"control socket " + path + ": " + uv_strerror(rc)};
  path_ = path;
  return {};
}

void ControlServer::onConnection() {
  auto* client = new Client;
  client->server = this;
  client->id = nextClientId_++;
  uv_pipe_init(loop_, &client->pipe, 0);
  uv_timer_init(loop_, &client->deadline);
  client->pipe.data = client;
  client->deadline.data = client;
  client->next = clients_;
  if (clients_ != nullptr) clients_->prev = client;
  clients_ = client;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(&client->pipe)) != 0) {
    return client->close();
  }
  uv_timer_start(&client->deadline, [](uv_timer_t* t) {
    auto* c = static_cast<Client*>(t->data);
    if (!c->answered) c->close();  // said nothing useful in time
  }, kClientDeadlineMs, 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&client->pipe),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static char buffer[4096];
        *buf = uv_buf_init(buffer, sizeof buffer);
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
        auto* c = static_cast<Client*>(s->data);
        if (n > 0) c->onBytes(b->base, static_cast<size_t>(n));
        else if (n < 0) c->close();
      });
}

void ControlServer::close() {
  while (clients_ != nullptr) clients_->close();
  if (listening_) {
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
}

}  // namespace checker
