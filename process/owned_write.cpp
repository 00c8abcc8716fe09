#include "process/owned_write.h"

#include <memory>

namespace checker {
namespace {

// One allocation per write: the request and the bytes it points into.
struct OwnedWrite {
  uv_write_t request{};
  std::string bytes;
  WriteDone onDone = nullptr;
};

}  // namespace

int writeOwned(uv_stream_t* stream, std::string bytes, WriteDone onDone) {
  auto write = std::make_unique<OwnedWrite>();
  write->bytes = std::move(bytes);
  write->onDone = onDone;
  write->request.data = write.get();
  uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc = uv_write(&write->request, stream, &buf, 1, [](uv_write_t* request, int status) {
    std::unique_ptr<OwnedWrite> done(static_cast<OwnedWrite*>(request->data));
    WriteDone then = done->onDone;
    uv_stream_t* written = request->handle;
    done.reset();
    if (then != nullptr) then(written, status);
  });
  if (rc == 0) static_cast<void>(write.release());  // the callback frees it
  return rc;
}

}  // namespace checker
