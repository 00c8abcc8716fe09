#pragma once
// The CLI's side of checkerd's control socket (STATEDIR/control.sock,
// ipc/control.capnp): one framed request, one framed reply, blocking, with
// a bound on the wait. `checker reload` and `checker test-channel` use it.
#include <capnp/message.h>

#include <string>

#include "common/result.h"

namespace checker::cli {

struct ControlAnswerText {
  bool ok = false;
  std::string message;
};

// Sends REQUEST (an ipc::ControlRequest) to the checkerd whose state
// directory is STATE_DIR and waits at most TIMEOUT_MS for its reply. An
// Error naming the socket when no checkerd answers: nothing listens, the
// connection is refused, or no whole reply came in time.
Result<ControlAnswerText> askCheckerd(const std::string& stateDir, capnp::MessageBuilder& request, int timeoutMs);

}  // namespace checker::cli
