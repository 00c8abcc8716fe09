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

std::unique_ptr<ipc::DecodedMessage> readRequest(int fd, std::string* error) {
  std::unique_ptr<ipc::DecodedMessage> message;
  try {
    message = ipc::readMessage(fd, kMaxRequestBytes);
    if (!message) {
      *error = "no request: stdin closed before any byte";
      return nullptr;
    }
    auto request = message->root<ipc::WorkerRequest>();
    switch (request.which()) {
      case ipc::WorkerRequest::RUN:
      case ipc::WorkerRequest::DESCRIBE:
        return message;
    }
    *error = "unknown request kind " + std::to_string(static_cast<unsigned>(request.which()));
  } catch (const ipc::FrameError& e) {
    *error = oneLine(std::string("malformed request: ") + e.what());
  } catch (const SysError& e) {
    *error = oneLine(std::string("reading the request: ") + e.what());
  }
  return nullptr;
}

}  // namespace checker::worker
