#include "worker_runs/worker_pipes.h"

#include <string>
#include <utility>

#include "common/unique_fd.h"

namespace checker {

Result<WorkerPipes> openWorkerPipes(uv_loop_t* loop, uv_pipe_t* stdinPipe, uv_pipe_t* stdoutPipe,
                                    uv_pipe_t* stderrPipe, void* owner) {
  // Our ends are non-blocking (libuv's); the worker's stay blocking.
  uv_file in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int rc = uv_pipe(in, 0, UV_NONBLOCK_PIPE);
  if (rc == 0) rc = uv_pipe(out, UV_NONBLOCK_PIPE, 0);
  if (rc == 0) rc = uv_pipe(err, UV_NONBLOCK_PIPE, 0);
  if (rc != 0) {
    for (uv_file fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) UniqueFd made(fd);  // closes those made
    return Error{std::string("pipe: ") + uv_strerror(rc)};
  }
  std::pair<uv_pipe_t*, uv_file> ours[] = {{stdinPipe, in[1]}, {stdoutPipe, out[0]}, {stderrPipe, err[0]}};
  for (auto [pipe, fd] : ours) {
    uv_pipe_init(loop, pipe, 0);
    uv_pipe_open(pipe, fd);
    pipe->data = owner;
  }
  return WorkerPipes{{in[0], out[1], err[1]}};
}

}  // namespace checker
