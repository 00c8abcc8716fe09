#pragma once
// Framing: one Cap'n Proto message over a file descriptor, or in a byte
// buffer that arrives in pieces.
//
// Wire format (Cap'n Proto's standard stream framing, exactly what
// capnp::messageToFlatArray writes; all integers little-endian):
//
//   offset  size        field
//   0       4           S - 1, where S is the segment count (1..kMaxSegments)
//   4       4 * S       size of each segment, in 8-byte words
//   ..      0 or 4      padding to a multiple of 8 bytes (present when S is even)
//   ..      8 * sum     the segments' contents, in order
//
// So the segment table takes ((S / 2) + 1) * 8 bytes, and a frame's total
// size is known as soon as its table is complete. Readers here:
//   - reject a frame once the part of the table seen so far declares more
//     than maxFrameBytes (before buffering its body), S == 0 (first word
//     0xFFFFFFFF) and S > kMaxSegments;
//   - copy the frame into word-aligned storage (input may be unaligned);
//   - validate eagerly: traverse the whole message once, turning every
//     kj::Exception into a FrameError, so a malformed peer message is a
//     reportable error, never a crash of the reader;
//   - check the message against the expected schema on the first root<T>()
//     (every field read once), so later typed reads cannot throw either.
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace checker::ipc {

inline constexpr size_t kDefaultMaxFrameBytes = 1 << 20;  // hard cap per message
inline constexpr uint32_t kMaxSegments = 512;  // our messages use a handful
// Full traversals of a frame that a caller's typed reads may make; the
// validation passes run on readers of their own and do not use this budget.
inline constexpr uint64_t kTraversalsPerFrame = 8;

// Traversal limit kTraversalsPerFrame times the cap (in words), nesting 64.
capnp::ReaderOptions readerOptionsFor(size_t maxFrameBytes);

// Malformed, oversize or truncated frame; what() says which and why.
class FrameError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An owning, validated message: a word-aligned copy of exactly one frame and
// a FlatArrayMessageReader over it with readerOptionsFor(maxFrameBytes).
class DecodedMessage {
 public:
  // `frame` must be exactly one whole frame, any alignment. Throws FrameError.
  DecodedMessage(std::string_view frame, size_t maxFrameBytes);
  DecodedMessage(DecodedMessage&&) noexcept = default;
  DecodedMessage& operator=(DecodedMessage&&) noexcept = default;
  DecodedMessage(const DecodedMessage&) = delete;
  DecodedMessage& operator=(const DecodedMessage&) = delete;
  ~DecodedMessage() = default;

  // The root as T. The first call for a type checks every field against T's
  // schema and throws FrameError if the message does not fit it.
  template <typename T>
  typename T::Reader root() {
    checkRootAs(capnp::Schema::from<T>());
    return reader_->getRoot<T>();
  }

  size_t sizeInBytes() const { return words_.size() * sizeof(capnp::word); }
  // The frame as received (e.g. to store it verbatim).
  std::string_view bytes() const;

 private:
  void checkRootAs(capnp::StructSchema schema);

  kj::Array<capnp::word> words_;  // declared first: reader_ points into it
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
  size_t maxFrameBytes_;
  uint64_t checkedTypeId_ = 0;  // schema id last checked by root<T>()
};

enum class FrameStatus { needMore, ready, error };

// Incremental reader for a non-blocking stream (libuv): feed whatever
// arrived, then take() while status() is ready. Holds at most one decoded
// message; bytes after it wait until take(). After an error it stays in
// error and ignores further input: the caller ends that peer.
class FrameReader {
 public:
  explicit FrameReader(size_t maxFrameBytes = kDefaultMaxFrameBytes);

  FrameStatus feed(const void* data, size_t size);  // appends; returns state after
  FrameStatus status() const { return status_; }
  const std::string& error() const { return error_; }  // why, when status()==error
  // The ready message (nullptr unless ready); keeps any following bytes for
  // the next frame and re-evaluates status().
  std::unique_ptr<DecodedMessage> take();
  // Bytes received but not yet part of a decoded message.
  size_t bufferedBytes() const { return buffer_.size(); }

 private:
  void evaluate();
  void fail(std::string reason);

  size_t maxFrameBytes_;
  std::string buffer_;
  size_t frameBytes_ = 0;  // size of the frame at the buffer's head, once known
  std::unique_ptr<DecodedMessage> ready_;
  FrameStatus status_ = FrameStatus::needMore;
  std::string error_;
};

// What the bytes seen so far say about the frame they start. Throws
// FrameError as soon as they show it is malformed or over the cap.
struct FramePrefix {
  size_t neededBytes;  // read at least this many bytes to learn more
  bool sizeKnown;      // table complete: neededBytes is the frame's exact size
};
FramePrefix inspectFramePrefix(std::string_view bytes, size_t maxFrameBytes);

// The framed bytes of a message (for LMDB values, buffers).
std::string encode(capnp::MessageBuilder& builder);
// Exactly one whole message, any alignment of input; throws FrameError,
// also for trailing bytes.
std::unique_ptr<DecodedMessage> decode(std::string_view bytes,
                                       size_t maxFrameBytes = kDefaultMaxFrameBytes);

// Blocking write of one message; loops over partial writes and EINTR; throws
// SysError. On a pipe or socket whose reader is gone the kernel raises
// SIGPIPE: processes using this ignore SIGPIPE so that it surfaces here as
// SysError(EPIPE) instead of killing them.
void writeMessage(int fd, capnp::MessageBuilder& builder);
// Blocking read of exactly one message: the segment table first, then
// exactly the rest, never past the message's end (the fd may carry more).
// Returns nullptr on clean EOF before any byte; throws FrameError when
// truncated (EOF mid-frame), malformed or oversize, SysError on read errors.
std::unique_ptr<DecodedMessage> readMessage(int fd,
                                            size_t maxFrameBytes = kDefaultMaxFrameBytes);

}  // namespace checker::ipc
