#pragma once
// The one way checker's programs queue bytes on a libuv stream whose
// writes may outlive the caller's buffer (the control sockets between
// checkerd and its helpers, checkerd's control socket, peerd's answers):
// the bytes are moved into the request and freed when libuv is done.
#include <uv.h>

#include <string>

namespace checker {

// Runs once the write finished or failed (STATUS < 0), after the bytes are
// freed; STREAM is the one written to (its data field finds the owner).
using WriteDone = void (*)(uv_stream_t* stream, int status);

// uv_write of BYTES to STREAM; ON_DONE (may be null) runs when it is done.
// Returns uv_write's code: on an error nothing is queued and ON_DONE is
// never called.
[[nodiscard]] int writeOwned(uv_stream_t* stream, std::string bytes, WriteDone onDone = nullptr);

}  // namespace checker
