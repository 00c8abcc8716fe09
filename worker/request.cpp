#include "worker/request.h"

#include <exception>

#include "common/sys_error.h"

namespace checker::worker {
namespace {

std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

Result<std::unique_ptr<ipc::DecodedMessage>> readRequest(int fd) {
  // readMessage throws at the decoding boundary (ipc::FrameError) and on a
  // failed read (SysError); both end here as the request's Error.
  try {
    std::unique_ptr<ipc::DecodedMessage> message = ipc::readMessage(fd, kMaxRequestBytes);
    if (!message) return Error{"no request: stdin closed before any byte"};
    auto request = message->root<ipc::WorkerRequest>();
    switch (request.which()) {
      case ipc::WorkerRequest::RUN:
      case ipc::WorkerRequest::DESCRIBE:
      case ipc::WorkerRequest::PROBES:
        return message;
    }
    return Error{"unknown request kind " + std::to_string(static_cast<unsigned>(request.which()))};
  } catch (const ipc::FrameError& e) {
    return Error{oneLine(std::string("malformed request: ") + e.what())};
  } catch (const SysError& e) {
    return Error{oneLine(std::string("reading the request: ") + e.what())};
  }
}

}  // namespace checker::worker
