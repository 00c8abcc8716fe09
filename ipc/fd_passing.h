#pragma once
// Descriptors passed over a Unix socket (SCM_RIGHTS) with a message: how
// the supervisor hands a run's pipes to the worker launcher, and the
// launcher to its spare worker. Thin wrappers over sendmsg/recvmsg that
// keep the control-message arithmetic in one place.
#include <sys/types.h>

#include <cstddef>
#include <vector>

namespace checker::ipc {

// The most descriptors one message carries (a run's stdin, stdout, stderr).
inline constexpr size_t kMaxPassedFds = 3;

// sendmsg of SIZE bytes of DATA with COUNT (<= kMaxPassedFds) descriptors.
// Returns what sendmsg returns (bytes sent, or -1 with errno set).
ssize_t sendWithFds(int socket, const void* data, size_t size, const int* fds, size_t count, int flags);

// recvmsg of at most SIZE bytes into BUFFER; the descriptors that came with
// them (close-on-exec) are appended to *FDS, and *TRUNCATED says whether the
// data or the descriptors were cut short. Returns what recvmsg returns.
ssize_t receiveWithFds(int socket, void* buffer, size_t size, std::vector<int>* fds, bool* truncated);

}  // namespace checker::ipc
