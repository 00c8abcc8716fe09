// libFuzzer target: the supervisor reading a probe worker's stdout
// (isolation = batch; worker_runs/probe_worker.h): a stream of framed
// ProbeReply messages, arriving in pieces, that a compromised worker may
// fill with anything. The first input byte splits the rest into chunks.
//
// What must hold, whatever the bytes:
//   - the capped reader never crashes and never holds more than its cap
//     plus one chunk;
//   - every frame it yields either fails the schema check with FrameError
//     or reads as a ProbeReply whose result, interpreted and classified,
//     is ok/failed with clean one-line text, or is refused as wrongKind.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipc/framing.h"
#include "ipc/job.capnp.h"
#include "state/run_outcome.h"
#include "worker_runs/run_reply.h"

namespace {

constexpr size_t kCap = 64 * 1024;  // as ProbeWorker reads them

void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "probe_results_fuzz: %s\n", what);
    std::abort();
  }
}

void check(checker::ipc::DecodedMessage& message) {
  checker::ipc::ProbeReply::Reader reply;
  try {
    reply = message.root<checker::ipc::ProbeReply>();
  } catch (const checker::ipc::FrameError&) {
    return;
  }
  checker::RunObservation obs;
  obs.reply = checker::ReplyState::ok;
  checker::interpretResult(reply.getResult(), obs);
  checker::ClassifiedRun run = checker::classifyRun(obs);
  if (obs.reply == checker::ReplyState::ok) {
    require(run.outcome == checker::ipc::Outcome::OK || run.outcome == checker::ipc::Outcome::FAILED ||
                run.outcome == checker::ipc::Outcome::TIMED_OUT || run.outcome == checker::ipc::Outcome::CRASHED ||
                run.outcome == checker::ipc::Outcome::LIMIT,
            "an accepted result classified as a protocol error");
    require(obs.jobMessage.find('\n') == std::string::npos, "a message of more than one line");
    require(obs.jobMessage.size() <= checker::kMaxLineBytes, "a message over the cap");
  } else {
    require(run.outcome == checker::ipc::Outcome::PROTOCOL_ERROR, "a refused result not a protocol error");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0];
  checker::ipc::FrameReader reader(kCap);
  for (size_t at = 1; at < size && reader.status() != checker::ipc::FrameStatus::error; at += chunk) {
    size_t n = std::min(chunk, size - at);
    reader.feed(data + at, n);
    while (reader.status() == checker::ipc::FrameStatus::ready) check(*reader.take());
    require(reader.bufferedBytes() <= kCap + chunk, "the reader holds more than its cap");
  }
  return 0;
}
