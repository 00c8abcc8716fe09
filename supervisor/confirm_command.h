#pragma once
// `checker confirm`'s side in checkerd (ipc/control.capnp, confirm): finds
// the job by name or id among the jobs it runs, asks its confirm_with peers
// (or the ones named) for their view of it now, and answers one line per
// peer; ok when every peer answered.
#include <cstdint>
#include <string>
#include <vector>

#include "ipc/control.capnp.h"
#include "peering/peer_view.h"
#include "supervisor/control_server.h"
#include "supervisor/peer_link.h"
#include "supervisor/run_clock.h"
#include "supervisor/run_engine.h"

namespace checker {

// "peer B: failing (ran now, 12 ms ago): connection refused": the view in
// one line, its last run's age as of NOW_UNIX_MS.
std::string confirmLine(const PeerView& view, int64_t nowUnixMs);

// Answers REQUEST through RESPOND, once, when the peers have answered.
void answerConfirmCommand(ipc::ConfirmRequest::Reader request, const RunEngine& engine, PeerLink& peers, Clock& clock,
                          ControlServer::Respond respond);

}  // namespace checker
