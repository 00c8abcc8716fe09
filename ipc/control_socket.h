#pragma once
// Where checkerd's control socket is: the one fact its server
// (supervisor/control_server.h) and its clients (`checker reload`) share.
// The requests and replies on it are ipc/control.capnp.

#include <string>

namespace checker {

// The control socket of the state directory STATE_DIR.
inline std::string controlSocketPath(const std::string& stateDir) { return stateDir + "/control.sock"; }

}  // namespace checker
